"""An agent served by LangGraph's own server (``langgraph dev``) with custom auth.

The server (``langgraph-cli[inmem]``, in its own virtual environment under
``~/.cache/mcp-gateway-tools/``, created on first use) runs :mod:`.agent` with the
custom auth of :mod:`.auth`. Two users call it at once through ``langgraph_sdk``,
each with their own bearer token; each run's tool reaches the gateway as that user,
and the thread state, history and the server's own stored files hold no token.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from mcp_gateway_tools.devgateway import DevGateway
from tests.support.serving import free_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CLI_SPEC = "langgraph-cli[inmem]>=0.4,<0.5"
# Keyed by what it was built from, so a change of our dependencies builds a new one.
_BUILT_FROM = hashlib.sha256(CLI_SPEC.encode() + (ROOT / "pyproject.toml").read_bytes())
VENV = Path.home() / ".cache" / "mcp-gateway-tools" / f"lgapi-venv-{_BUILT_FROM.hexdigest()[:12]}"

pytestmark = pytest.mark.slow


def server_venv() -> Path:
    """The server's own venv (langgraph-api pins differ from ours), created once."""
    cli = VENV / "bin" / "langgraph"
    if not cli.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=300)
        subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "-q", CLI_SPEC, "-e", f"{ROOT}[langchain]"],
            check=True,
            timeout=900,
        )
    return cli


@pytest.fixture(scope="module")
def langgraph_dev(
    dev_server: DevGateway, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """``langgraph dev`` on a free loopback port, from a copy of this directory."""
    cli = server_venv()
    work = tmp_path_factory.mktemp("langgraph-server")
    for name in ("agent.py", "auth.py", "langgraph.json"):
        shutil.copy(HERE / name, work / name)
    log = (tmp_path_factory.mktemp("langgraph-server-log") / "server.log").open("w")
    port = free_port()
    env = {
        **os.environ,
        "MGT_GATEWAY_URL": dev_server.base_url,
        "PYTHONPATH": str(ROOT / "src"),
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGSMITH_TRACING": "false",
    }
    process = subprocess.Popen(
        [
            str(cli),
            "dev",
            "--no-browser",
            "--no-reload",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--config",
            "langgraph.json",
        ],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"langgraph dev exited; see {log.name}")
            try:
                if httpx2.get(f"{url}/ok", timeout=2).status_code == 200:
                    break
            except httpx2.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("langgraph dev did not start within 120 s")
            time.sleep(0.2)
        yield url, work
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


async def ask_as(url: str, token: str) -> tuple[dict, list, dict]:  # type: ignore[type-arg]
    from langgraph_sdk import get_client

    async with get_client(url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        thread = await client.threads.create()
        output = await client.runs.wait(
            thread["thread_id"], "agent", input={"messages": [{"role": "user", "content": "who?"}]}
        )
        history = await client.threads.get_history(thread["thread_id"])
        stored = await client.threads.get(thread["thread_id"])
    return output, history, stored  # type: ignore[return-value]


async def test_two_users_at_once_each_reach_the_gateway_as_themselves_with_no_token_stored(
    dev_server: DevGateway, langgraph_dev: tuple[str, Path]
) -> None:
    url, work = langgraph_dev
    alice, bob = dev_server.tokens.user("alice"), dev_server.tokens.user("bob")
    await dev_server.aconsent("alice", "mail")
    await dev_server.aconsent("bob", "mail")
    results = await asyncio.gather(ask_as(url, alice), ask_as(url, bob))

    for (output, history, stored), email in zip(
        results, ("alice@example.com", "bob@example.com"), strict=True
    ):
        tool = next(m for m in output["messages"] if m["type"] == "tool")
        assert email in str(tool["content"])  # the tool ran as this user
        everything = repr((output, history, stored))
        assert alice not in everything
        assert bob not in everything
    # The server's own persisted files (in-memory runtime snapshots) hold no token either.
    for path in work.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert alice.encode() not in data, path
            assert bob.encode() not in data, path
