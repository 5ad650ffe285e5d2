"""``Gateway.wait_for_authorization``: returns once the user's consent works (issue 14).

Against the real dev gateway: the wait probes as the user, and the consent is completed
with the dev gateway's browser-less helper (the HTTP steps a browser takes).
"""

from __future__ import annotations

import asyncio

import pytest

from mcp_gateway_tools import (
    AccessDenied,
    AuthorizationRequired,
    Gateway,
    MissingUserToken,
    _waiting,
)
from mcp_gateway_tools.devgateway import DevGateway


async def test_the_wait_returns_once_the_user_completes_consent(
    dev: DevGateway, gateway: Gateway
) -> None:
    alice = dev.tokens.user("alice")
    waiting = asyncio.create_task(gateway.wait_for_authorization("mail", token=alice, timeout=60))
    await asyncio.sleep(0)
    assert not waiting.done()  # no grant yet: no probe can succeed
    result = await dev.aconsent("alice", "mail")  # the browser's steps, automated
    assert result.granted
    await waiting
    assert await gateway.list_tools("mail", token=alice)  # and the grant works


async def test_a_timeout_raises_the_gateways_last_authorization_request(
    dev: DevGateway, gateway: Gateway
) -> None:
    with pytest.raises(AuthorizationRequired) as raised:
        await gateway.wait_for_authorization("mail", token=dev.tokens.user("bob"), timeout=0)
    assert raised.value.authorization_urls["mail"].startswith("http://127.0.0.1")


async def test_the_wait_is_cancellable_and_leaves_nothing_behind(
    dev: DevGateway, gateway: Gateway
) -> None:
    waiting = asyncio.create_task(
        gateway.wait_for_authorization("mail", token=dev.tokens.user("bob"), timeout=None)
    )
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert not gateway._loops.current().wakers  # the wait unregistered itself


async def test_a_completion_notice_ends_the_backoff_at_once(
    dev: DevGateway, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With an hour between probes, only the wake-up can end this wait.
    monkeypatch.setattr(_waiting, "FIRST_DELAY", 3600.0)
    alice = dev.tokens.user("alice")
    waiting = asyncio.create_task(gateway.wait_for_authorization("mail", token=alice))
    await asyncio.sleep(0)
    wakers = gateway._loops.current().wakers
    assert wakers  # the wait has registered for wake-ups
    await dev.aconsent("alice", "mail")
    fingerprint = gateway.credential(alice).fingerprint
    wakers.wake((gateway.endpoint("mail"), fingerprint))
    await waiting


async def test_what_waiting_cannot_fix_is_raised_at_once(dev: DevGateway, gateway: Gateway) -> None:
    with pytest.raises(MissingUserToken):
        await gateway.wait_for_authorization("mail", timeout=None)
    async with Gateway(dev.base_url, token=dev.tokens.service) as service:
        # A service token can never hold a user's OAuth grant: denied, not waited on.
        with pytest.raises(AccessDenied):
            await service.wait_for_authorization("mail", timeout=None)
