"""Nothing is left behind: cancelled agent runs, evicted sessions and a closed Gateway
leave 0 sockets to the server, 0 pending tasks and no ResourceWarning (measured with
psutil on this process's sockets and ``asyncio.all_tasks()``)."""

from __future__ import annotations

import asyncio
import gc
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import psutil
import pytest
from langchain_core.messages import HumanMessage

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.langchain import GatewayToolkit
from mcp_gateway_tools.llamaindex import GatewayToolSpec
from tests.reliability.agents import RunContext, langchain_agent, llamaindex_agent, request
from tests.support.faultgateway import FaultGateway
from tests.support.serving import ThreadedServer, serve
from tests.support.timing import scaled

TOKEN = "hygiene-user-token-0001"


@pytest.fixture
def own_fault_server() -> Iterator[ThreadedServer]:
    """A server of our own per test, so its port counts only this test's sockets."""
    with serve(FaultGateway()) as running:
        yield running


def sockets_to(port: int) -> list[Any]:
    """This process's client-side sockets to ``port`` (any state)."""
    return [
        c for c in psutil.Process().net_connections(kind="tcp") if c.raddr and c.raddr.port == port
    ]


def other_tasks() -> set[asyncio.Task[Any]]:
    current = asyncio.current_task()
    return {t for t in asyncio.all_tasks() if t is not current and not t.done()}


async def settle(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Poll ``check`` (bounded, scaled) while background closes finish."""
    deadline = time.monotonic() + scaled(seconds)
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.05)
    return check()


async def assert_clean(port: int, before: set[asyncio.Task[Any]]) -> None:
    assert await settle(lambda: not sockets_to(port)), sockets_to(port)
    assert await settle(lambda: not (other_tasks() - before)), other_tasks() - before
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


async def test_cancelled_core_calls_then_close_leave_no_socket_or_task(
    own_fault_server: ThreadedServer,
) -> None:
    before = other_tasks()
    gw = Gateway(own_fault_server.url)
    await gw.call_tool("echo", "add", {"a": 1, "b": 1}, token=TOKEN)
    calls = [
        asyncio.create_task(gw.call_tool("echo", "slow", {"seconds": 5}, token=f"{TOKEN}-{i}"))
        for i in range(5)
    ]
    await asyncio.sleep(0.5)
    for call in calls:
        call.cancel()
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)
    # The sessions survive a cancelled call: the next call on them works.
    result = await gw.call_tool("echo", "add", {"a": 2, "b": 2}, token=f"{TOKEN}-0")
    assert result.structured_content == {"total": 4}
    await gw.aclose()
    await assert_clean(own_fault_server.port, before)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
async def test_agent_runs_cancelled_mid_call_leave_nothing_after_close(
    own_fault_server: ThreadedServer, framework: str
) -> None:
    before = other_tasks()
    async with Gateway(own_fault_server.url, protocol_mode="legacy") as gw:
        if framework == "langchain":
            agent = langchain_agent(await GatewayToolkit(gw, ["echo"]).aget_tools(token=TOKEN))

            def run(i: int) -> Any:
                message = HumanMessage(request("slow", None, seconds=5))
                return agent.ainvoke({"messages": [message]}, context=RunContext(f"{TOKEN}{i}"))

        else:
            agent = llamaindex_agent(
                await GatewayToolSpec(gw, ["echo"]).to_tool_list_async(token=TOKEN)
            )

            async def run(i: int) -> Any:
                from llama_index.core.workflow import Context

                ctx = Context(agent)
                await ctx.store.set("user_token", f"{TOKEN}{i}")
                return await agent.run(user_msg=request("slow", None, seconds=5), ctx=ctx)

        runs = [asyncio.create_task(run(i)) for i in range(4)]
        # every run is inside its tool call: the slow tool holds its connection open
        assert await settle(lambda: bool(sockets_to(own_fault_server.port)))
        for task in runs:
            task.cancel()
        await asyncio.gather(*runs, return_exceptions=True)
        assert all(task.cancelled() or task.exception() is not None for task in runs)
        started = time.monotonic()
        # A fresh run after the cancellations works, on the same Gateway and sessions.
        state = await langchain_agent(
            await GatewayToolkit(gw, ["echo"]).aget_tools(token=TOKEN)
        ).ainvoke(
            {"messages": [HumanMessage(request("add", None, a=1, b=2))]}, context=RunContext(TOKEN)
        )
        assert state["messages"][-1].content.startswith("answer:")
        assert time.monotonic() - started < 5
    await assert_clean(own_fault_server.port, before)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_evicted_sessions_release_their_sockets_and_close_releases_the_rest(
    own_fault_server: ThreadedServer, mode: str
) -> None:
    before = other_tasks()
    async with Gateway(own_fault_server.url, max_sessions=2, protocol_mode=mode) as gw:
        peak = 0
        for i in range(12):
            await gw.call_tool("echo", "add", {"a": i, "b": 1}, token=f"{TOKEN}-{i}")
            peak = max(peak, len(sockets_to(own_fault_server.port)))
        # Legacy sessions each hold a GET stream: eviction must close them, so the
        # sockets stay near the bound, never one per user seen.
        assert await settle(lambda: len(sockets_to(own_fault_server.port)) <= 2 + 2)
        assert gw.sessions_opened() == 12
        assert gw.open_sessions() <= 2
        assert peak <= 6
    await assert_clean(own_fault_server.port, before)


async def test_a_gateway_used_without_a_context_manager_is_closed_by_aclose(
    own_fault_server: ThreadedServer,
) -> None:
    before = other_tasks()
    gw = Gateway(own_fault_server.url, protocol_mode="legacy")
    for i in range(5):
        await gw.call_tool("echo", "add", {"a": i, "b": i}, token=f"{TOKEN}-{i}")
    assert sockets_to(own_fault_server.port)
    await gw.aclose()
    await assert_clean(own_fault_server.port, before)
