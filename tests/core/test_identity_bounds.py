"""Per-identity state stays bounded under token rotation (issue 12 item 8).

400 rotating identities through a Gateway with ``max_sessions=8``: tool listings,
pending consent and token providers are LRU-bounded at ``4 × max_sessions`` (32) and
pruned on write. These are counts; memory at 10,000 identities is a benchmark.
"""

from __future__ import annotations

import asyncio

import pytest

from mcp_gateway_tools import AuthorizationRequired, Gateway, user_token
from tests.support.faultgateway import FaultGateway
from tests.support.serving import ThreadedServer

IDENTITIES = 400


@pytest.mark.slow
@pytest.mark.timeout(600)  # ~20 s idle; 800 connects, slow on a loaded machine
async def test_400_rotating_identities_keep_every_per_identity_structure_bounded(
    fault_server: ThreadedServer, fault_gateway: FaultGateway
) -> None:
    async with Gateway(
        fault_server.url, max_sessions=8, tools_cache_ttl=3600, protocol_mode="legacy"
    ) as gw:
        assert gw.state_bound == 32
        gate = asyncio.Semaphore(8)
        peak: dict[str, int] = {}

        async def one(i: int) -> None:
            token = f"rotating-user-{i:04d}"
            async with gate:
                with user_token(lambda: token):  # a new provider per request
                    assert await gw.list_tools("echo")
                    with pytest.raises(AuthorizationRequired):
                        await gw.call_tool("consent", "whoami")
            for name, count in gw.identity_state().items():
                peak[name] = max(peak.get(name, 0), count)

        await asyncio.gather(*(one(i) for i in range(IDENTITIES)))
        state = gw.identity_state()
        assert state["tool_listings"] == 32
        assert state["awaiting_consent"] == 32
        assert state["token_providers"] == 32
        assert peak["tool_listings"] <= 32
        assert peak["awaiting_consent"] <= 32
        assert peak["token_providers"] <= 32
        assert state["sessions"] <= 8 + 8  # the bound, plus sessions in use at the end
        # the most recent identity is still served from its cache
        fault_gateway.requests.clear()
        last = f"rotating-user-{IDENTITIES - 1:04d}"
        assert await gw.list_tools("echo", token=last)
        assert fault_gateway.calls("echo", "tools/list") == []


async def test_expired_listings_are_pruned_on_the_next_write(
    fault_server: ThreadedServer, fault_gateway: FaultGateway
) -> None:
    async with Gateway(fault_server.url, tools_cache_ttl=0.05, protocol_mode="legacy") as gw:
        await gw.list_tools("echo", token="user-a")
        await gw.list_tools("echo", token="user-b")
        await asyncio.sleep(0.1)  # past the TTL (a lower bound only: no upper margin)
        await gw.list_tools("echo", token="user-c")
        assert gw.identity_state()["tool_listings"] == 1


async def test_checked_token_values_are_reused_and_bounded() -> None:
    async with Gateway("http://127.0.0.1:9", max_sessions=1) as gw:  # nothing is sent
        first = await gw.acredential("user-token-0000")
        assert await gw.acredential("user-token-0000") is first  # checked once, then reused
        for i in range(10):
            await gw.acredential(f"user-token-{i:04d}")
        assert gw.identity_state()["token_values"] == gw.state_bound == 4
        assert await gw.acredential("user-token-0000") is not first  # evicted, checked again
