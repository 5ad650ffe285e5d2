"""Sync calls work from scripts, threads and inside a running loop (Jupyter)."""

from __future__ import annotations

import asyncio

from mcp_gateway_tools import Gateway, user_token
from tests.support.faultgateway import FaultGateway
from tests.support.serving import ThreadedServer


def test_sync_call_from_plain_code(
    fault_server: ThreadedServer, fault_gateway: FaultGateway
) -> None:
    gw = Gateway(fault_server.url)
    try:
        with user_token("sync-user"):
            assert gw.call_tool_sync("echo", "whoami").text == "Bearer sync-user"
        assert [t.name for t in gw.list_tools_sync("echo", token="other")]
    finally:
        gw.close()


async def test_sync_call_inside_a_running_loop_does_not_block_it(
    fault_server: ThreadedServer, fault_gateway: FaultGateway
) -> None:
    gw = Gateway(fault_server.url)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        with user_token("notebook-user"):
            # As a notebook cell would: sync code while the kernel's loop runs.
            result = await asyncio.to_thread(gw.call_tool_sync, "echo", "whoami")
            direct = gw.call_tool_sync("echo", "whoami")  # called on the loop thread itself
        assert result.text == direct.text == "Bearer notebook-user"
    finally:
        task.cancel()
        await gw.aclose()
    assert ticks > 0
