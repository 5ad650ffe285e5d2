"""Shared fixtures for the LangChain adapter tests: a real dev gateway, real agents.

Nothing is mocked below the chat model: tools call the dev gateway (or a plain
fastmcp server) over loopback HTTP. The chat model is scripted by a function of the
conversation, so concurrent runs (two users at once) stay deterministic.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import BaseTool

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.langchain import GatewayToolkit, testing
from mcp_gateway_tools.langchain.testing import (
    Plan,
    ScriptedChatModel,
)
from tests.langchain.richserver import rich_server
from tests.support.serving import ThreadedServer, serve


def call_then_answer(*calls: tuple[str, dict[str, Any]]) -> Plan:
    """Call the tools one after another (one per model turn), then answer with the
    text of the tool messages, so the final answer shows what the model saw."""
    return testing.call_then_answer(*calls, separator="\n---\n")


def scripted(*calls: tuple[str, dict[str, Any]], streaming: bool = True) -> ScriptedChatModel:
    return ScriptedChatModel(plan=call_then_answer(*calls), disable_streaming=not streaming)


def tool_messages(state: dict[str, Any]) -> list[ToolMessage]:
    return [m for m in state["messages"] if isinstance(m, ToolMessage)]


@dataclass
class Context:
    """The run context an application passes to ``create_agent(context_schema=...)``."""

    user_token: str | None = None


class Recorder(BaseCallbackHandler):
    """Records every callback LangChain makes, with all arguments, for leak checks."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.custom: list[tuple[str, Any]] = []

    def on_custom_event(self, name: str, data: Any, **kwargs: Any) -> None:
        self.custom.append((name, data))
        self.calls.append(("on_custom_event", (name, data), kwargs))

    def __getattribute__(self, name: str) -> Any:
        # BaseCallbackHandler defines every on_* hook as a no-op; record them all.
        if name.startswith("on_") and name != "on_custom_event":
            calls = object.__getattribute__(self, "calls")

            def record(*args: Any, **kwargs: Any) -> None:
                calls.append((name, args, kwargs))

            return record
        return object.__getattribute__(self, name)


# -- servers ---------------------------------------------------------------------------


@pytest.fixture
async def mail_tools(dev: DevGateway, gateway: Gateway, alice: str) -> dict[str, BaseTool]:
    """Alice's mail tools, alice and bob both having consented to mail."""
    await dev.aconsent("alice", "mail")
    await dev.aconsent("bob", "mail")
    tools = await GatewayToolkit(gateway, ["mail"]).aget_tools(token=alice)
    return {t.name: t for t in tools}


def owner(message: Any) -> str:
    """Whose mailbox a successful mail tool message came from."""
    assert isinstance(message, ToolMessage), message
    assert message.status == "success", message.text
    return str(message.artifact["structured_content"]["owner"])


@pytest.fixture(scope="module")
def rich() -> Iterator[ThreadedServer]:
    """A plain fastmcp server at /mcp/rich/server (no gateway semantics)."""
    with serve(rich_server().http_app(path="/mcp/rich/server")) as server:
        yield server


@pytest.fixture
async def rich_gateway(rich: ThreadedServer) -> AsyncIterator[Gateway]:
    async with Gateway(rich.url, token="rich-service-token", protocol_mode="legacy") as gw:
        yield gw


# -- agents ----------------------------------------------------------------------------

AGENT_KINDS = ["create_agent", "toolnode"]


def build_agent(
    kind: str,
    model: ScriptedChatModel,
    tools: Sequence[Any],
    *,
    checkpointer: Any = None,
    context_schema: Any = Context,
) -> Any:
    """A real agent: LangChain's ``create_agent``, or a hand-built LangGraph graph whose
    tools run in a prebuilt ``ToolNode`` (the two ways applications wire tools)."""
    from langchain.agents import create_agent
    from langchain_core.runnables import RunnableLambda
    from langgraph.graph import START, MessagesState, StateGraph
    from langgraph.prebuilt import ToolNode, tools_condition

    if kind == "create_agent":
        return create_agent(
            model, list(tools), context_schema=context_schema, checkpointer=checkpointer
        )

    def think(state: Any) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    async def athink(state: Any) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    graph = StateGraph(MessagesState, context_schema=context_schema)
    graph.add_node("model", RunnableLambda(think, afunc=athink))
    graph.add_node("tools", ToolNode(list(tools)))
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", tools_condition)
    graph.add_edge("tools", "model")
    return graph.compile(checkpointer=checkpointer)


def ask(text: str = "go") -> dict[str, Any]:
    return {"messages": [HumanMessage(text)]}
