"""Sync ``invoke``: in plain code and inside an already running loop (as in Jupyter)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.messages import ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from mcp_gateway_tools import AuthorizationRequired, Gateway, user_token
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.langchain import AUTHORIZATION_EVENT, GatewayToolkit
from mcp_gateway_tools.langchain.testing import tool_call
from tests.langchain.conftest import Context, Recorder, ask, build_agent, scripted, tool_messages


def test_sync_everything_without_a_loop(dev: DevGateway, alice: str) -> None:
    gateway = Gateway(dev.base_url)
    try:
        dev.consent("alice", "mail")
        tools = GatewayToolkit(gateway, ["mail"]).get_tools(token=alice)
        by_name = {t.name: t for t in tools}
        with user_token(alice):
            message = by_name["list_messages"].invoke(tool_call("list_messages"))
        assert message.artifact["structured_content"]["owner"] == "alice@example.com"
        agent = build_agent("create_agent", scripted(("list_messages", {})), tools)
        state = agent.invoke(ask(), context=Context(user_token=alice))
        assert tool_messages(state)[0].status == "success"
    finally:
        gateway.close()


async def test_sync_invoke_inside_a_running_loop(gateway: Gateway, alice: str) -> None:
    asyncio.get_running_loop()  # we are inside a running loop, like a notebook cell
    toolkit = GatewayToolkit(gateway, ["knowledge", "workspace"])
    tools = {t.name: t for t in toolkit.get_tools(token=alice)}
    config: Any = {"configurable": {"user_token": alice}}
    name = "knowledge_search_docs"
    message = tools[name].invoke(tool_call(name, {"query": "password"}), config)
    assert isinstance(message, ToolMessage)
    assert "Resetting your password" in message.text
    # The plain-args form returns the content only (no ToolCall id: no ToolMessage).
    content = tools[name].invoke({"query": "password"}, config)
    assert "Resetting your password" in str(content)
    # The same tool objects keep working asynchronously on this loop afterwards.
    message = await tools[name].ainvoke(tool_call(name, {"query": "password"}), config)
    assert message.status == "success"
    # And a sync agent run from inside the loop.
    agent = build_agent("create_agent", scripted((name, {"query": "x"})), list(tools.values()))
    state = agent.invoke(ask(), context=Context(user_token=alice))
    assert tool_messages(state)[0].status == "success"


async def test_sync_observation_event_and_callbacks(gateway: Gateway, alice: str) -> None:
    seen: list[dict[str, Any]] = []
    seen_async: list[dict[str, Any]] = []

    async def on_auth(payload: dict[str, Any]) -> None:
        seen_async.append(payload)

    for callback, sink in ((seen.append, seen), (on_auth, seen_async)):
        [tool] = GatewayToolkit(
            gateway, ["workspace"], tool_filter=["list_messages"], authorization_callback=callback
        ).get_tools(token=alice)
        recorder = Recorder()
        message = tool.invoke(
            tool_call("list_messages"),
            {"configurable": {"user_token": alice}, "callbacks": [recorder]},
        )
        assert message.status == "success"
        assert message.artifact["type"] == "authorization_required"
        assert [name for name, _ in recorder.custom] == [AUTHORIZATION_EVENT]
        assert len(sink) == 1


async def test_sync_invalid_arguments_and_raise(gateway: Gateway, alice: str) -> None:
    [tool] = GatewayToolkit(
        gateway, ["workspace"], tool_filter=["search_docs"], on_authorization_required="raise"
    ).get_tools(token=alice)
    config: Any = {"configurable": {"user_token": alice}}
    message = tool.invoke(tool_call("search_docs", {"query": 3}), config)
    assert message.status == "error"
    assert "3 is not of type 'string'" in message.text
    [mail] = GatewayToolkit(
        gateway, ["workspace"], tool_filter=["list_messages"], on_authorization_required="raise"
    ).get_tools(token=alice)
    with pytest.raises(AuthorizationRequired):
        mail.invoke(tool_call("list_messages"), config)


def test_sync_interrupt_resume(dev: DevGateway, alice: str) -> None:
    gateway = Gateway(dev.base_url)
    try:
        [tool] = GatewayToolkit(
            gateway,
            ["workspace"],
            tool_filter=["list_messages"],
            on_authorization_required="interrupt",
        ).get_tools(token=alice)
        agent = build_agent(
            "create_agent", scripted(("list_messages", {})), [tool], checkpointer=InMemorySaver()
        )
        config: Any = {"configurable": {"thread_id": "sync"}}
        paused = agent.invoke(ask(), config, context=Context(user_token=alice))
        link = paused["__interrupt__"][0].value["authorization_urls"]["mail"]
        assert dev.consent("alice", "mail", link=link).granted
        done = agent.invoke(Command(resume=True), config, context=Context(user_token=alice))
        [message] = tool_messages(done)
        assert message.artifact["structured_content"]["owner"] == "alice@example.com"
    finally:
        gateway.close()
