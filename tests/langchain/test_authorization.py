"""Authorization required: the three policies, the event, the callback, load time."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import BaseTool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from mcp_gateway_tools import (
    AuthorizationRequired,
    ConfigurationError,
    Gateway,
    GatewayError,
    ToolLoadWarning,
)
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.langchain import AUTHORIZATION_EVENT, GatewayToolkit
from mcp_gateway_tools.langchain.testing import ScriptedChatModel, tool_call
from tests.langchain.conftest import AGENT_KINDS, Context, ask, build_agent, scripted, tool_messages
from tests.support.contract import OBSERVATION_KEYS
from tests.support.through import Through


async def mail_tool(gateway: Gateway, token: str, **options: Any) -> BaseTool:
    """``list_messages`` through the virtual server (listing needs no mail grant)."""
    toolkit = GatewayToolkit(gateway, ["workspace"], tool_filter=["list_messages"], **options)
    [tool] = await toolkit.aget_tools(token=token)
    return tool


async def pausing_agent(
    gateway: Gateway, alice: str, kind: str = "create_agent", **options: Any
) -> Any:
    """An agent with a checkpointer whose mail tool interrupts for consent."""
    tool = await mail_tool(gateway, alice, on_authorization_required="interrupt", **options)
    model = scripted(("list_messages", {}))
    return build_agent(kind, model, [tool], checkpointer=InMemorySaver())


def assert_observation(message: ToolMessage, url: str | None = None) -> None:
    assert message.status == "success"  # not a failure: the tool did its job
    artifact = message.artifact
    assert set(artifact) == OBSERVATION_KEYS
    assert artifact["type"] == "authorization_required"
    assert artifact["server_names"] == {"mail": "Mail"}
    link = artifact["authorization_urls"]["mail"]
    assert link.startswith("http://127.0.0.1:")
    assert f"- Mail: {link}" in message.text  # display name and full URL, verbatim
    if url is not None:
        assert link == url


# -- observation (default) ------------------------------------------------------------


async def test_observation_event_and_callbacks(
    gateway: Gateway, alice: str, through: Through
) -> None:
    seen_sync: list[dict[str, Any]] = []
    seen_async: list[dict[str, Any]] = []

    async def on_auth(payload: dict[str, Any]) -> None:
        seen_async.append(payload)

    tool = await mail_tool(gateway, alice, authorization_callback=seen_sync.append)
    agent = build_agent("create_agent", scripted(("list_messages", {}), streaming=False), [tool])
    events = [
        e
        async for e in agent.astream_events(ask(), context=Context(user_token=alice), version="v2")
    ]
    custom = [e for e in events if e["event"] == "on_custom_event"]
    assert [e["name"] for e in custom] == [AUTHORIZATION_EVENT]
    payload = custom[0]["data"]
    assert payload["tool"] == "list_messages"
    assert payload["server"] == "workspace"
    assert payload["type"] == "authorization_required"
    assert seen_sync == [payload]

    tool = await mail_tool(gateway, alice, authorization_callback=on_auth)
    message = await through.invoke(
        tool, tool_call("list_messages"), {"configurable": {"user_token": alice}}
    )
    assert_observation(message)
    assert len(seen_async) == 1
    assert {k: seen_async[0][k] for k in OBSERVATION_KEYS} == message.artifact


@pytest.mark.parametrize("kind", AGENT_KINDS)
async def test_stream_mode_custom_carries_the_event(
    kind: str, gateway: Gateway, alice: str
) -> None:
    tool = await mail_tool(gateway, alice)
    agent = build_agent(kind, scripted(("list_messages", {})), [tool])
    chunks = [
        c
        async for c in agent.astream(ask(), context=Context(user_token=alice), stream_mode="custom")
    ]
    assert len(chunks) == 1
    assert chunks[0]["name"] == AUTHORIZATION_EVENT
    assert chunks[0]["data"]["authorization_urls"].keys() == {"mail"}


# -- raise ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", AGENT_KINDS)
async def test_raise_propagates_after_the_callback(
    kind: str, gateway: Gateway, alice: str, through: Through
) -> None:
    seen: list[dict[str, Any]] = []
    tool = await mail_tool(
        gateway, alice, on_authorization_required="raise", authorization_callback=seen.append
    )
    agent = build_agent(kind, scripted(("list_messages", {})), [tool])
    with pytest.raises(AuthorizationRequired) as caught:
        await through.invoke(agent, ask(), context=Context(user_token=alice))
    assert caught.value.server_names == {"mail": "Mail"}
    assert len(seen) == 1


# -- interrupt ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", AGENT_KINDS)
async def test_interrupt_consent_resume_success(
    kind: str, dev: DevGateway, gateway: Gateway, alice: str, through: Through
) -> None:
    seen: list[dict[str, Any]] = []
    agent = await pausing_agent(gateway, alice, kind, authorization_callback=seen.append)
    config: Any = {"configurable": {"thread_id": "t-1"}}
    context = Context(user_token=alice)

    paused = await through.invoke(agent, ask("my mail"), config, context=context)
    [pending] = paused["__interrupt__"]
    payload = pending.value
    assert payload["type"] == "authorization_required"
    assert payload["tool"] == "list_messages"
    assert tool_messages(paused) == []  # the tool has not answered yet

    assert (await dev.aconsent("alice", "mail", link=payload["authorization_urls"]["mail"])).granted
    done = await through.invoke(agent, Command(resume=True), config, context=context)
    [message] = tool_messages(done)
    assert message.status == "success"
    assert message.artifact["structured_content"]["owner"] == "alice@example.com"
    assert "__interrupt__" not in done
    assert [p["tool"] for p in seen] == ["list_messages"]  # told once, before the pause


async def test_interrupt_resume_without_consent_gives_a_fresh_observation(
    gateway: Gateway, alice: str, through: Through
) -> None:
    seen: list[dict[str, Any]] = []
    agent = await pausing_agent(gateway, alice, authorization_callback=seen.append)
    config: Any = {"configurable": {"thread_id": "t-2"}}
    context = Context(user_token=alice)
    await through.invoke(agent, ask(), config, context=context)
    done = await through.invoke(agent, Command(resume=True), config, context=context)
    [message] = tool_messages(done)
    assert_observation(message)
    assert len(seen) == 2  # once before pausing, once for the fresh observation


async def test_interrupt_declined(gateway: Gateway, alice: str, through: Through) -> None:
    agent = await pausing_agent(gateway, alice)
    config: Any = {"configurable": {"thread_id": "t-3"}}
    context = Context(user_token=alice)
    await through.invoke(agent, ask(), config, context=context)
    done = await through.invoke(
        agent, Command(resume={"authorized": False}), config, context=context
    )
    [message] = tool_messages(done)
    assert message.status == "success"
    assert "chose not to authorize Mail" in message.text
    assert message.artifact["type"] == "authorization_declined"  # as in LlamaIndex


async def test_interrupt_outside_a_graph_is_a_configuration_error(
    gateway: Gateway, alice: str, through: Through
) -> None:
    tool = await mail_tool(gateway, alice, on_authorization_required="interrupt")
    with pytest.raises(ConfigurationError, match="checkpointer"):
        await through.invoke(
            tool, tool_call("list_messages"), {"configurable": {"user_token": alice}}
        )


# -- load time ------------------------------------------------------------------------


async def test_load_time_placeholder_then_consent(
    dev: DevGateway, gateway: Gateway, alice: str, through: Through
) -> None:
    toolkit = GatewayToolkit(gateway, ["mail", "knowledge"])
    tools = {t.name: t for t in await through.get_tools(toolkit, token=alice)}
    assert "authorize_mail" in tools
    assert "search_docs" in tools  # one server's consent never hides another's tools
    assert not any(name.startswith("list_messages") for name in tools)
    authorize = tools["authorize_mail"]
    assert "authoriz" in authorize.description
    assert authorize.args_schema == {"type": "object", "properties": {}}

    config: Any = {"configurable": {"user_token": alice}}
    message = await through.invoke(authorize, tool_call("authorize_mail"), config)
    assert_observation(message)
    assert (
        await dev.aconsent("alice", "mail", link=message.artifact["authorization_urls"]["mail"])
    ).granted
    message = await through.invoke(authorize, tool_call("authorize_mail"), config)
    assert message.status == "success"
    assert message.artifact == {"type": "authorized", "server": "mail", "server_name": "Mail"}
    assert "Mail" in message.text

    tools = {t.name: t for t in await through.get_tools(toolkit, token=alice)}
    assert "authorize_mail" not in tools
    assert "list_messages" in tools


async def test_load_time_placeholder_in_an_agent(
    gateway: Gateway, alice: str, through: Through
) -> None:
    tools = await through.get_tools(GatewayToolkit(gateway, ["mail", "knowledge"]), token=alice)
    agent = build_agent("create_agent", scripted(("authorize_mail", {})), tools)
    state = await through.invoke(agent, ask(), context=Context(user_token=alice))
    assert_observation(tool_messages(state)[0])
    assert "- Mail: http://127.0.0.1:" in state["messages"][-1].text  # relayed by the model


async def test_load_time_raise(gateway: Gateway, alice: str, through: Through) -> None:
    toolkit = GatewayToolkit(gateway, ["mail"], on_authorization_required_at_load="raise")
    with pytest.raises(AuthorizationRequired):
        await through.get_tools(toolkit, token=alice)


async def test_a_failing_server_never_hides_the_others(
    gateway: Gateway, alice: str, caplog: pytest.LogCaptureFixture, through: Through
) -> None:
    caplog.set_level(logging.WARNING)
    with pytest.warns(ToolLoadWarning, match="nope"):  # left out loudly, typed
        tools = await through.get_tools(GatewayToolkit(gateway, ["nope", "knowledge"]), token=alice)
    assert "search_docs" in {t.name for t in tools}
    assert "nope" in caplog.text
    with pytest.raises(GatewayError):  # but all of them failing is an error
        await through.get_tools(GatewayToolkit(gateway, ["nope"]), token=alice)


async def test_name_collisions_filter_and_prefix(
    gateway: Gateway, alice: str, through: Through
) -> None:
    tools = await through.get_tools(
        GatewayToolkit(gateway, ["knowledge", "workspace"]), token=alice
    )
    names = [t.name for t in tools]
    assert len(names) == len(set(names))
    assert {"knowledge_search_docs", "workspace_search_docs"} <= set(names)
    config: Any = {"configurable": {"user_token": alice}}
    by_name = {t.name: t for t in tools}
    for name in ("knowledge_search_docs", "workspace_search_docs"):  # the MCP name is sent
        message = await through.invoke(
            by_name[name], tool_call(name, {"query": "password"}), config
        )
        assert "Resetting your password" in message.text

    prefixed = await through.get_tools(
        GatewayToolkit(
            gateway,
            ["knowledge"],
            name_prefix="kb",
            tool_filter={"allow": ["search_docs", "knowledge/get_article"]},
        ),
        token=alice,
    )
    assert sorted(t.name for t in prefixed) == ["kb_get_article", "kb_search_docs"]
    only = await GatewayToolkit(
        gateway, ["knowledge"], tool_filter=lambda info: info.name.startswith("get_")
    ).aget_tools(token=alice)
    assert sorted(t.name for t in only) == ["get_article", "get_diagram"]


async def test_parallel_tool_calls_each_interrupt_and_resume_by_id(
    dev: DevGateway, gateway: Gateway, alice: str, through: Through
) -> None:
    toolkit = GatewayToolkit(
        gateway,
        ["workspace"],
        tool_filter=["list_messages", "mail_whoami"],
        on_authorization_required="interrupt",
    )
    tools = await through.get_tools(toolkit, token=alice)

    def plan(messages: Any) -> AIMessage:
        if isinstance(messages[-1], ToolMessage):
            return AIMessage(content="done")
        calls = [tool_call("list_messages"), tool_call("mail_whoami")]
        return AIMessage(content="", tool_calls=calls)

    model = ScriptedChatModel(plan=plan)
    agent = build_agent("create_agent", model, tools, checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": "t-par"}}
    context = Context(user_token=alice)
    paused = await through.invoke(agent, ask(), config, context=context)
    pending = paused["__interrupt__"]
    assert sorted(p.value["tool"] for p in pending) == ["list_messages", "mail_whoami"]
    await dev.aconsent("alice", "mail", link=pending[0].value["authorization_urls"]["mail"])
    done = await through.invoke(
        agent, Command(resume={p.id: True for p in pending}), config, context=context
    )
    messages = tool_messages(done)
    assert [m.status for m in messages] == ["success", "success"]
    assert all(m.artifact["structured_content"] for m in messages)
