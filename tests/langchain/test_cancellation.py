"""Cancelling a run mid-call closes nothing it should not and leaks no task."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.langchain import GatewayToolkit
from mcp_gateway_tools.langchain.testing import tool_call
from tests.langchain.conftest import ask, build_agent, scripted
from tests.support.serving import ThreadedServer


def other_tasks() -> set[asyncio.Task[Any]]:
    return asyncio.all_tasks() - {asyncio.current_task()}


async def wait_for_calm(before: set[asyncio.Task[Any]]) -> set[asyncio.Task[Any]]:
    for _ in range(100):
        extra = {t for t in other_tasks() - before if not t.done()}
        if not extra:
            return extra
        await asyncio.sleep(0.02)
    return extra


@pytest.mark.parametrize("how", ["tool", "agent"])
async def test_cancel_mid_call(how: str, rich: ThreadedServer) -> None:
    baseline = other_tasks()
    gateway = Gateway(rich.url, token="rich-service-token", protocol_mode="legacy")
    tools = {t.name: t for t in await GatewayToolkit(gateway, ["rich"]).aget_tools()}
    slow = tools["slow"]
    # Warm up: the identity's session is open before the call we cancel.
    assert (await slow.ainvoke(tool_call("slow", {"seconds": 0}))).text == "done"
    sessions = gateway.open_sessions()

    if how == "tool":
        running = asyncio.create_task(slow.ainvoke(tool_call("slow", {"seconds": 30})))
    else:
        agent = build_agent("create_agent", scripted(("slow", {"seconds": 30})), [slow])
        running = asyncio.create_task(agent.ainvoke(ask()))
    await asyncio.sleep(0.3)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running

    # The gateway still works, without a session per cancelled call piling up.
    assert (await slow.ainvoke(tool_call("slow", {"seconds": 0}))).text == "done"
    assert gateway.open_sessions() <= sessions + 1
    await gateway.aclose()
    assert await wait_for_calm(baseline) == set()
