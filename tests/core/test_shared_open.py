"""Shared session opening (issue 12 item 5) and the pool's own typed errors.

While a user's session is opening, their other calls wait on that same open. A
gateway whose connect is held at a gate shows it without any timing: the first call
is cancelled mid-connect, the gate opens, and the second call still succeeds.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from mcp_gateway_tools import Gateway, GatewayClosed, GatewayUnavailable
from tests.support.asgi import Scope, Send, send_raw
from tests.support.faultgateway import FaultGateway
from tests.support.serving import ThreadedServer, serve

ALICE = "alice-token-aaaa"


class GatedGateway(FaultGateway):
    """``gated`` holds every request until ``gate`` opens; then echoes (or fails)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.arrived = threading.Event()
        self.fail = False

    async def _gated(self, scope: Scope, send: Send, *_: Any) -> bool:
        """Answered (True) with a 503 when ``fail``; else handed on to echo (False)."""
        self.arrived.set()
        await asyncio.to_thread(self.gate.wait)
        if self.fail:
            await send_raw(send, 503, b"Service Unavailable", b"text/plain")
        return self.fail


@pytest.fixture
def gated() -> Iterator[tuple[ThreadedServer, GatedGateway]]:
    app = GatedGateway()
    with serve(app) as server:
        yield server, app


async def until(event: threading.Event) -> None:
    await asyncio.to_thread(event.wait)


async def settle() -> None:
    """Let every ready task run up to its next real wait."""
    for _ in range(50):
        await asyncio.sleep(0)


async def test_cancelling_the_opener_never_cancels_a_caller_waiting_on_the_same_open(
    gated: tuple[ThreadedServer, GatedGateway],
) -> None:
    server, app = gated
    async with Gateway(server.url, protocol_mode="legacy") as gw:
        first = asyncio.create_task(gw.call_tool("gated", "whoami", token=ALICE))
        await until(app.arrived)
        second = asyncio.create_task(gw.call_tool("gated", "whoami", token=ALICE))
        await settle()
        first.cancel()
        await settle()
        app.gate.set()
        assert (await second).text == f"Bearer {ALICE}"
        assert first.cancelled()
        assert gw.sessions_opened() == 1  # the one open both shared
        assert (await gw.call_tool("gated", "whoami", token=ALICE)).text == f"Bearer {ALICE}"
        assert gw.sessions_opened() == 1


async def test_cancelling_a_waiter_leaves_the_opener_and_the_session_intact(
    gated: tuple[ThreadedServer, GatedGateway],
) -> None:
    server, app = gated
    async with Gateway(server.url, protocol_mode="legacy", max_sessions=1) as gw:
        first = asyncio.create_task(gw.call_tool("gated", "whoami", token=ALICE))
        await until(app.arrived)
        second = asyncio.create_task(gw.call_tool("gated", "whoami", token=ALICE))
        await settle()
        second.cancel()
        app.gate.set()
        assert (await first).text == f"Bearer {ALICE}"
        assert second.cancelled()
        assert gw.open_sessions() == 1


async def test_every_waiter_of_a_failed_open_gets_a_typed_error(
    gated: tuple[ThreadedServer, GatedGateway],
) -> None:
    server, app = gated
    app.fail = True
    async with Gateway(server.url, protocol_mode="legacy") as gw:
        first = asyncio.create_task(gw.call_tool("gated", "whoami", token=ALICE))
        await until(app.arrived)
        others = [
            asyncio.create_task(gw.call_tool("gated", "whoami", token=ALICE)) for _ in range(3)
        ]
        await settle()
        app.gate.set()
        results = await asyncio.gather(first, *others, return_exceptions=True)
        assert all(isinstance(r, GatewayUnavailable) for r in results), results
        assert gw.open_sessions() == 0


async def test_closing_the_gateway_mid_connect_is_gateway_closed_not_unreachable(
    gated: tuple[ThreadedServer, GatedGateway],
) -> None:
    server, app = gated
    gw = Gateway(server.url, protocol_mode="legacy")
    call = asyncio.create_task(gw.call_tool("gated", "whoami", token=ALICE))
    await until(app.arrived)
    await gw.aclose()
    with pytest.raises(GatewayClosed):
        await call
    app.gate.set()


async def test_a_closed_gateway_says_so_with_its_own_type(
    fault_server: ThreadedServer, fault_gateway: FaultGateway
) -> None:
    gw = Gateway(fault_server.url)
    await gw.call_tool("echo", "whoami", token=ALICE)
    await gw.aclose()
    with pytest.raises(GatewayClosed, match="closed"):
        await gw.call_tool("echo", "whoami", token=ALICE)
    with pytest.raises(GatewayClosed):
        await gw.list_tools("echo", token=ALICE)
