"""Encrypted token stores: SQLite (embedded) and PostgreSQL (many workers).

Grants come from a real flow: the library as alice's OAuth client against the dev
gateway's OAuth-protected calendar, the browser played by the dev gateway's driver.
Then the raw SQLite files and every PostgreSQL row are scanned for the tokens; the
same scan over an unencrypted store finds them (the control that the scan works).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from mcp_gateway_tools import AuthorizationRequired, ConfigurationError, Gateway, Server, app_user
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.oauth import (
    EncryptedStore,
    OAuth,
    OAuthClient,
    generate_key,
    postgres_token_store,
    sqlite_token_store,
)
from mcp_gateway_tools.oauth._records import GRANTS, PENDING, Records, key_of
from tests.support.timing import scaled

ROOT = Path(__file__).resolve().parents[2]
REDIRECT = "http://127.0.0.1:9/oauth/callback"


async def consented_grant(
    dev: DevGateway, store: Any, user: str, scan: Callable[[], bytes]
) -> list[str]:
    """Run ``user``'s whole flow with ``store``; return the secrets it stored (the PKCE
    verifier, scanned for with ``scan`` while the authorization is pending, included)."""
    url = dev.oauth_server_url("calendar")
    gateway = Gateway(
        servers={"calendar": Server(url, oauth=OAuth())},
        oauth=OAuthClient(redirect_uri=REDIRECT, store=store),
    )
    async with gateway:
        with app_user(user), pytest.raises(AuthorizationRequired) as raised:
            await gateway.call_tool("calendar", "calendar_whoami")
        link = raised.value.authorization_urls["calendar"]
        state = parse_qs(urlsplit(link).query)["state"][0]
        pending = await store.get(key_of(state), collection=PENDING)
        verifier = str(pending["verifier"])
        assert found_in(scan(), [verifier]) == []
        browser = await dev.abrowser_consent(link, user, follow_callback=False)
        assert browser.callback_url is not None
        await gateway.complete_authorization(browser.callback_url, user=user)
        with app_user(user):
            seen = await gateway.call_tool("calendar", "calendar_whoami")
    assert seen.structured_content["user"] == dev.user_email(user)
    grant = await Records(store).get_grant(user, url)
    assert grant is not None
    assert grant.refresh_token is not None
    return [grant.access_token, grant.refresh_token, verifier]


def found_in(blob: bytes, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s.encode() in blob]


def directory_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


@pytest.fixture
def key() -> str:
    return generate_key()


async def test_sqlite_store_holds_no_plaintext_token(
    mcp_oauth_dev: DevGateway, tmp_path: Path, key: str
) -> None:
    directory = tmp_path / "enc"
    async with sqlite_token_store(directory, key=key) as store:
        secrets = await consented_grant(
            mcp_oauth_dev, store, "alice", lambda: directory_bytes(directory)
        )
    assert (tmp_path / "enc").stat().st_mode & 0o777 == 0o700
    assert found_in(directory_bytes(tmp_path / "enc"), secrets) == []

    # Control: the same records in an unencrypted DiskStore are found by the same scan.
    from key_value.aio.stores.disk import DiskStore

    plain = DiskStore(directory=tmp_path / "plain")
    async with sqlite_token_store(directory, key=key) as store:
        await copy_grant(store, plain, "alice", mcp_oauth_dev.oauth_server_url("calendar"))
    await plain.close()
    assert found_in(directory_bytes(tmp_path / "plain"), secrets[:2]) == secrets[:2]


async def copy_grant(source: Any, target: Any, user: str, endpoint: str) -> None:
    grant = await Records(source).get_grant(user, endpoint)
    assert grant is not None
    await Records(target).put_grant(grant)


async def test_a_wrong_key_fails_closed_and_rotation_keeps_reading(
    tmp_path: Path, key: str
) -> None:
    async with sqlite_token_store(tmp_path, key=key) as store:
        await store.put("k", {"access_token": "tok-123"}, collection=GRANTS)
    with pytest.raises(Exception) as wrong:  # noqa: PT011 - py-key-value's decryption error
        async with sqlite_token_store(tmp_path, key=generate_key()) as other:
            await other.get("k", collection=GRANTS)
    assert "tok-123" not in str(wrong.value)
    new = generate_key()
    async with sqlite_token_store(tmp_path, key=[new, key]) as rotated:
        assert await rotated.get("k", collection=GRANTS) == {"access_token": "tok-123"}


def test_a_malformed_key_is_refused_without_echoing_it(tmp_path: Path) -> None:
    for bad in ["not-a-fernet-key", b"", []]:
        with pytest.raises(ConfigurationError) as raised:
            sqlite_token_store(tmp_path / "x", key=bad)
        assert raised.value.__cause__ is None
        assert raised.value.__context__ is None
        if bad:
            assert str(bad) not in str(raised.value)
    assert not (tmp_path / "x").exists()


async def test_pending_authorizations_keep_their_time_to_live(tmp_path: Path, key: str) -> None:
    async with sqlite_token_store(tmp_path, key=key) as store:
        await store.put("p", {"verifier": "v"}, collection=PENDING, ttl=600)
        value, remaining = await store.ttl("p", collection=PENDING)
        assert value == {"verifier": "v"}
        assert remaining is not None
        assert 0 < remaining <= 600


def _postgres_rows(dsn: str, table: str) -> bytes:
    import psycopg

    with psycopg.connect(dsn) as conn:
        rows = conn.execute(f"SELECT * FROM {table}").fetchall()
    return repr(rows).encode()


async def test_postgres_store_holds_no_plaintext_token(
    mcp_oauth_dev: DevGateway, postgres_dsn: str, key: str
) -> None:
    from key_value.aio.stores.postgresql import PostgreSQLStore

    async with postgres_token_store(postgres_dsn, key=key, table="scan_enc") as store:
        secrets = await consented_grant(
            mcp_oauth_dev, store, "bob", lambda: _postgres_rows(postgres_dsn, "scan_enc")
        )
        plain = PostgreSQLStore(url=postgres_dsn, table_name="scan_plain")
        async with plain:
            await copy_grant(store, plain, "bob", mcp_oauth_dev.oauth_server_url("calendar"))
    assert found_in(_postgres_rows(postgres_dsn, "scan_enc"), secrets) == []

    assert found_in(_postgres_rows(postgres_dsn, "scan_plain"), secrets[:2]) == secrets[:2]


def _worker(env: dict[str, str], *args: str) -> dict[str, Any]:
    import json

    full = {**os.environ, **env, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-m", "tests.oauth_stores.worker", *args],
        cwd=ROOT, env=full, capture_output=True, text=True, timeout=scaled(120), check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.fixture(params=["sqlite", "postgres"])
def shared_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:{tmp_path / 'shared'}"
    else:
        yield request.getfixturevalue("postgres_dsn")


async def test_a_flow_started_in_one_process_completes_in_another(
    mcp_oauth_dev: DevGateway, shared_store: str, key: str
) -> None:
    env = {"MGT_STORE": shared_store, "MGT_STORE_KEY": key,
           "MGT_SERVER": mcp_oauth_dev.oauth_server_url("calendar")}  # fmt: skip
    started = await asyncio.to_thread(_worker, env, "start")
    assert started["link"]
    browser = await mcp_oauth_dev.abrowser_consent(started["link"], "alice", follow_callback=False)
    assert browser.callback_url is not None
    finished = await asyncio.to_thread(_worker, env, "finish", browser.callback_url)
    assert finished["pid"] != started["pid"]
    assert finished["seen"]["user"] == "alice@example.com"
    # A third party to the store (this process) now calls with the grant B stored.
    store = _open(shared_store, key)
    async with store:
        gateway = Gateway(
            servers={"calendar": Server(env["MGT_SERVER"], oauth=OAuth())},
            oauth=OAuthClient(redirect_uri=REDIRECT, store=store),
        )
        async with gateway:
            with app_user("alice"):
                seen = await gateway.call_tool("calendar", "calendar_whoami")
            with app_user("bob"), pytest.raises(AuthorizationRequired):
                await gateway.call_tool("calendar", "calendar_whoami")
    assert seen.structured_content["token_id"] == finished["seen"]["token_id"]


def _open(where: str, key: str) -> EncryptedStore:
    if where.startswith("sqlite:"):
        return sqlite_token_store(where.removeprefix("sqlite:"), key=key)
    return postgres_token_store(where, key=key)
