"""LiteLLM proxy (``litellm[proxy]`` 1.108.7) run for the interop suite, without a database.

Keys are checked by LiteLLM's ``custom_auth`` hook (the supported way to authenticate
without Postgres): the hook reads ``keys.json`` on every request, so a test revokes a
key by removing it and expires one by dating it in the past, with LiteLLM running.
MCP servers come from ``config.yaml``: ``echo`` (open to every key), ``oauth_echo``
(LiteLLM-managed OAuth: a key without a stored grant is challenged with 401 and
``WWW-Authenticate``), and ``byok_echo``, whose upstream credential each user sends
per request in ``x-mcp-byok_echo-authorization``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.interop.harness import GatewayProcess, venv_bin
from tests.interop.oauth_server import CLIENT_ID, CLIENT_SECRET

MASTER_KEY = "sk-interop-master"  # a throwaway key of a loopback test proxy

# The hook LiteLLM loads as ``custom_auth: custom_auth.user_api_key_auth``.
CUSTOM_AUTH = '''
import json, pathlib, time
from fastapi import HTTPException, Request
from litellm.proxy._types import UserAPIKeyAuth

KEYS = pathlib.Path(__file__).with_name("keys.json")


async def user_api_key_auth(request: Request, api_key: str) -> UserAPIKeyAuth:
    """Known, unexpired keys pass as their user; anything else is refused."""
    entry = json.loads(KEYS.read_text()).get(api_key)
    if entry is None:
        raise HTTPException(status_code=401, detail="Invalid proxy key: not issued or revoked")
    if entry.get("expires") is not None and entry["expires"] < time.time():
        raise HTTPException(status_code=401, detail="Proxy key expired")
    return UserAPIKeyAuth(api_key=api_key, user_id=entry["user"])
'''


class LiteLLMKeys:
    """The key store the hook reads: issue, revoke, expire while LiteLLM runs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._keys: dict[str, dict[str, object]] = {}
        self._save()

    def issue(self, key: str, user: str, *, expires: float | None = None) -> str:
        self._keys[key] = {"user": user, "expires": expires}
        self._save()
        return key

    def revoke(self, key: str) -> None:
        self._keys.pop(key, None)
        self._save()

    def expire(self, key: str) -> None:
        self._keys[key]["expires"] = time.time() - 3600
        self._save()

    def _save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._keys))
        tmp.replace(self.path)


def litellm_config(echo_url: str, oauth_echo_url: str, oauth_base: str) -> str:
    """config.yaml: no models, custom auth, three MCP servers (JSON is valid YAML)."""
    config = {
        "model_list": [],
        "general_settings": {
            "master_key": MASTER_KEY,
            "custom_auth": "custom_auth.user_api_key_auth",
        },
        "mcp_servers": {
            "echo": {"url": echo_url, "transport": "http", "allow_all_keys": True},
            "byok_echo": {"url": echo_url, "transport": "http", "allow_all_keys": True},
            "oauth_echo": {
                "url": oauth_echo_url,
                "transport": "http",
                "auth_type": "oauth2",
                "oauth2_flow": "authorization_code",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "authorization_url": f"{oauth_base}/authorize",
                "token_url": f"{oauth_base}/token",
                "scopes": ["echo"],
                "allow_all_keys": True,
            },
        },
    }
    return json.dumps(config, indent=2)


def litellm_process(venv: Path, workdir: Path, port: int, config: str) -> GatewayProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config.yaml").write_text(config)
    (workdir / "custom_auth.py").write_text(CUSTOM_AUTH)
    env = {
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "PYTHONPATH": str(workdir),  # so the config can name custom_auth.py
        "LITELLM_LOG": "INFO",
        "DISABLE_ADMIN_UI": "True",
        "LITELLM_SALT_KEY": "sk-interop-salt-0123456789",
        "LITELLM_DONT_SHOW_FEEDBACK_BOX": "true",
        "NO_DOCS": "True",
    }
    argv = [
        venv_bin(venv, "litellm"),
        "--config",
        str(workdir / "config.yaml"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    return GatewayProcess(
        name="litellm",
        argv=argv,
        env=env,
        cwd=workdir,
        port=port,
        health_path="/health/liveliness",
    )
