"""What a locals-recording error tracker sees when a LangChain tool raises mid-agent.

A plain-``str`` token handed to LangChain (``configurable`` or the run context) is the
caller's own value: LangChain's and LangGraph's frames hold ``config`` and the run
context, as they hold any argument, and an exception raised through the run carries
those frames. The library cannot change frames it does not own; it proves here that
none of its own frames hold the token, that a SecretStr (either place) or
``user_token()`` leaves no frame holding it, and that the plain-``str`` configurable
is warned about once, without the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import AsyncIterator
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from pydantic import SecretStr

from mcp_gateway_tools import AuthorizationRequired, Gateway, user_token
from mcp_gateway_tools.langchain import GatewayToolkit
from mcp_gateway_tools.langchain._binding import _warn_plain_configurable_token
from tests.reliability.agents import RunContext, langchain_agent, request
from tests.security.conftest import TOKEN
from tests.support.serving import ThreadedServer

PLAIN = ("configurable-str", "context-str")
CLEAN = ("configurable-secretstr", "context-secretstr", "user_token")
FRAMEWORKS = ("langchain", "langgraph")


def bound(binding: str) -> dict[str, Any]:
    """The ``ainvoke`` keyword arguments that carry the token the ``binding`` way."""
    value: Any = SecretStr(TOKEN) if binding.endswith("secretstr") else TOKEN
    if binding.startswith("configurable"):
        return {"config": {"configurable": {"user_token": value}}}
    if binding.startswith("context"):
        return {"context": RunContext(value)}
    return {}


async def run_agent(agent: Any, tool: str, binding: str, how: str) -> BaseException:
    """Run the agent as an app would; the exception it raised (frames and all)."""
    message = {"messages": [HumanMessage(request(tool, None))]}
    kwargs = bound(binding)

    def in_a_thread() -> Any:
        with user_token(TOKEN) if binding == "user_token" else contextlib.nullcontext():
            return agent.invoke(message, **kwargs)

    try:
        if how == "invoke":
            await asyncio.to_thread(in_a_thread)
        else:
            with user_token(TOKEN) if binding == "user_token" else contextlib.nullcontext():
                await agent.ainvoke(message, **kwargs)
    except AuthorizationRequired as exc:
        return exc
    raise AssertionError("the tool did not raise")


def modules_holding_the_token(exc: BaseException) -> set[str]:
    """The modules whose frames in ``exc``'s traceback hold the token in a local."""
    found = set()
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        for value in frame.f_locals.values():
            try:
                text = repr(value)
            except Exception:  # a local that cannot render itself shows nothing either
                continue
            if TOKEN in text:
                found.add(str(frame.f_globals.get("__name__")))
    return found


@pytest.fixture
async def agent_and_tool(hostile: ThreadedServer) -> AsyncIterator[tuple[Any, str]]:
    async with Gateway(hostile.url) as gateway:
        toolkit = GatewayToolkit(gateway, ["call-consent"], on_authorization_required="raise")
        tools = [t for t in await toolkit.aget_tools(token=TOKEN) if t.name.endswith("whoami")]
        yield langchain_agent(tools), tools[0].name


@pytest.mark.parametrize("how", ["ainvoke", "invoke"])
@pytest.mark.parametrize("binding", PLAIN + CLEAN)
async def test_no_frame_of_ours_holds_the_token_and_a_secretstr_leaves_none_at_all(
    agent_and_tool: tuple[Any, str], binding: str, how: str
) -> None:
    agent, tool = agent_and_tool
    exc = await run_agent(agent, tool, binding, how)
    holders = modules_holding_the_token(exc)
    assert not [m for m in holders if m.startswith("mcp_gateway_tools")]
    trace = traceback.TracebackException.from_exception(exc, capture_locals=True)
    rendered = "".join(trace.format())
    if binding in CLEAN:
        assert holders == set()
        assert TOKEN not in rendered
    else:  # the caller's value, in the caller's frame and the framework's
        assert holders - {__name__}, holders  # LangChain's frames hold it
        assert all(m == __name__ or m.startswith(FRAMEWORKS) for m in holders), holders
        assert TOKEN in rendered


async def test_a_plain_str_configurable_token_is_warned_about_once_without_the_token(
    agent_and_tool: tuple[Any, str], caplog: pytest.LogCaptureFixture
) -> None:
    agent, tool = agent_and_tool
    _warn_plain_configurable_token.cache_clear()
    with caplog.at_level(logging.WARNING, logger="mcp_gateway_tools.langchain"):
        for _ in range(2):
            await run_agent(agent, tool, "configurable-str", "ainvoke")
        await run_agent(agent, tool, "configurable-secretstr", "ainvoke")
    warnings = [r for r in caplog.records if "plain str" in r.getMessage()]
    assert len(warnings) == 1
    assert "frame locals" in warnings[0].getMessage()
    assert TOKEN not in caplog.text
