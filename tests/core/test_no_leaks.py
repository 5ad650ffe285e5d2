"""A token appears nowhere but the Authorization header (DESIGN §5)."""

from __future__ import annotations

import logging

import pytest

from mcp_gateway_tools import Gateway, GatewayError, user_token
from mcp_gateway_tools._tokens import fingerprint
from tests.support.faultgateway import FaultGateway
from tests.support.serving import ThreadedServer

SECRET = "sk-very-secret-user-token-4242"
SERVICE = "svc-very-secret-service-token-9191"


async def test_no_token_in_logs_errors_or_reprs_at_debug(
    fault_server: ThreadedServer, fault_gateway: FaultGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    produced: list[object] = []
    async with Gateway(fault_server.url, token=SERVICE) as gw:
        produced.append(gw)
        produced.append(gw.credential())
        with user_token(SECRET):
            produced.append(await gw.call_tool("echo", "add", {"a": 1, "b": 1}))
            produced.append(await gw.list_tools("echo"))
            for server in (
                "consent",
                "403",
                "invalidtoken401",
                "429",
                "502",
                "javascript401",
                "nosuch",
            ):
                try:
                    await gw.call_tool(server, "whoami")
                except GatewayError as exc:
                    produced.extend([exc, exc.to_observation(), exc.__cause__])
        try:
            await gw.call_tool("consent", "whoami")
        except GatewayError as exc:
            produced.extend([exc, exc.to_observation()])
    texts = [r.getMessage() for r in caplog.records] + [str(r.args) for r in caplog.records]
    texts += [repr(p) for p in produced] + [str(p) for p in produced]
    assert len(caplog.records) > 0
    for secret in (SECRET, SERVICE):
        assert not [t for t in texts if secret in t], "a token leaked"


def test_fingerprints_are_the_full_keyed_hmac_and_stable_within_the_process() -> None:
    assert fingerprint(SECRET) == fingerprint(SECRET)
    assert fingerprint(SECRET) != fingerprint(SERVICE)
    assert len(fingerprint(SECRET)) == 64  # issue 12 item 13: no truncated keys
    import hashlib

    assert fingerprint(SECRET) != hashlib.sha256(SECRET.encode()).hexdigest()
