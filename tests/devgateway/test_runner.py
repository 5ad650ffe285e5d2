"""The in-process runner: async and sync lifecycles, tokens, helpers, logs without secrets."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx2
import pytest
from fastmcp import Client

from mcp_gateway_tools.devgateway import DevGateway, Tokens
from tests.support.timing import scaled

from .helpers import INITIALIZE, call, headers


async def test_async_context_manager(tmp_path: Path) -> None:
    async with DevGateway(store_path=tmp_path / "grants.db") as gw:
        assert gw.base_url.startswith("http://127.0.0.1:")
        result = await gw.aconsent("alice", "calendar")
        assert result.granted
        async with Client(gw.url("calendar"), auth=gw.tokens.user("alice")) as client:
            events = await client.call_tool("list_events", {"day": "2026-12-01"})
            assert events.structured_content is not None
            assert [e["id"] for e in events.structured_content["events"]] == ["e-a1"]
        with pytest.raises(RuntimeError, match="aconsent"):
            gw.consent("alice", "mail")
    assert (tmp_path / "grants.db").exists()


def test_sync_helpers_and_tokens(devgateway: DevGateway) -> None:
    tokens = devgateway.tokens
    assert isinstance(tokens, Tokens)
    assert tokens.user("alice") == "dev-pat-alice"
    assert tokens.user("bob") == "dev-pat-bob"
    assert tokens.service == tokens.account("ci-bot") == "dev-va-ci-bot"
    assert "dev-pat" not in repr(tokens)
    assert "dev-va" not in repr(tokens)
    with pytest.raises(KeyError):
        tokens.user("mallory")
    assert devgateway.url("mail") == f"{devgateway.base_url}/mcp/mail/server"
    link = devgateway.authorization_url("alice", "mail")
    assert link.startswith(f"{devgateway.base_url}/consent/")
    with pytest.raises(ValueError, match="per-user OAuth"):
        devgateway.consent("alice", "knowledge")
    assert devgateway.revoke("alice", "mail") is False


def test_not_running_is_a_clear_error() -> None:
    gw = DevGateway()
    with pytest.raises(RuntimeError, match="not running"):
        gw.grants()


def test_restart_keeps_external_state_out(tmp_path: Path) -> None:
    store = tmp_path / "grants.db"
    with DevGateway(store_path=store) as gw:
        gw.consent("alice", "mail")
        assert gw.grants() == [("alice@example.com", "mail")]
    # The built-in provider forgot its tokens, so stale grants for it are dropped.
    with DevGateway(store_path=store) as gw:
        assert gw.grants() == []


def test_logs_never_contain_tokens(
    devgateway: DevGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = {devgateway.tokens.user("alice"), devgateway.tokens.service}
    jwt = devgateway.issue_jwt("bob")
    secrets.add(jwt)
    with httpx2.Client(timeout=30) as http:
        http.post(devgateway.url("mail"), json=INITIALIZE, headers=headers(jwt))
        devgateway.consent("alice", "mail")
        devgateway.consent("bob", "mail")
        devgateway.expire_access_token("alice", "mail")
        http.post(devgateway.url("mail"), json=call("mail_whoami"), headers=headers(secrets.pop()))
        http.post(devgateway.url("mail"), json=call("mail_whoami"), headers=headers("bogus-token"))
    store = devgateway._store
    assert store is not None
    grant = store.get("bob@example.com", "mail")
    assert grant is not None
    secrets |= {grant.access_token, str(grant.refresh_token), "bogus-token"}
    assert "access_token" not in repr(grant)
    assert grant.access_token not in repr(grant)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "stored grant" in text
    for secret in secrets:
        assert secret not in text


def test_start_stop_for_notebooks() -> None:
    gw = DevGateway().start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            gw.start()
        resp = httpx2.get(f"{gw.base_url}/healthz", timeout=10)
        assert resp.json()["servers"] == ["calendar", "knowledge", "mail", "search", "workspace"]
    finally:
        gw.stop()
    gw.stop()
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(f"{gw.base_url}/healthz", timeout=scaled(2))


def test_port_in_use_is_a_clean_error() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match="in use"), DevGateway(port=port):
            pass


def test_two_gateways_side_by_side_share_nothing() -> None:
    with DevGateway() as one, DevGateway() as two, httpx2.Client(timeout=30) as http:
        one.consent("alice", "mail")
        sent = http.post(
            one.url("mail"),
            json=call("send_message", {"to": "x@example.com", "subject": "s", "body": "b"}),
            headers=headers(one.tokens.user("alice")),
        )
        assert sent.json()["result"]["structuredContent"]["id"] == "s-1"
        assert two.grants() == []
        resp = http.post(
            two.url("mail"), json=INITIALIZE, headers=headers(two.tokens.user("alice"))
        )
        assert resp.status_code == 401
        two.consent("alice", "mail")
        again = http.post(
            two.url("mail"),
            json=call("send_message", {"to": "x@example.com", "subject": "s", "body": "b"}),
            headers=headers(two.tokens.user("alice")),
        )
        assert again.json()["result"]["structuredContent"]["id"] == "s-1"
