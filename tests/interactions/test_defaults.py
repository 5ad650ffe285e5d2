"""A form is never answered for the user: the documented default of each adapter."""

from __future__ import annotations

import uuid
from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from llama_index.core.agent.workflow import FunctionAgent

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.langchain import INPUT_EVENT, GatewayToolkit
from mcp_gateway_tools.langchain.testing import ScriptedChatModel, call_then_answer
from mcp_gateway_tools.llamaindex import GatewayToolSpec, InputAnswerEvent, InputRequiredEvent
from mcp_gateway_tools.llamaindex.testing import scripted_llm

from .servers import Ledger

CALL = ("book_seat", {"flight": "LH1"})


async def _langchain_agent(desk_gateway: Gateway, checkpointer: Any) -> Any:
    tools = [
        t for t in await GatewayToolkit(desk_gateway, ["desk"]).aget_tools() if t.name == CALL[0]
    ]
    model = ScriptedChatModel(plan=call_then_answer(CALL), disable_streaming=True)
    return create_agent(model, tools, checkpointer=checkpointer)


async def test_langchain_without_a_checkpointer_tells_the_model_and_declines(
    desk_gateway: Gateway, ledger: Ledger
) -> None:
    agent = await _langchain_agent(desk_gateway, None)
    chunks: list[Any] = []
    async for mode, chunk in agent.astream(
        {"messages": [HumanMessage("book")]}, stream_mode=["custom", "values"]
    ):
        chunks.append((mode, chunk))
    [state] = [c for m, c in chunks if m == "values"][-1:]
    [message] = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert message.text.startswith('The server asked the user: "Seat preferences for flight LH1?"')
    assert message.artifact["declined_input"][0]["defaults"] == {"seat": "aisle", "meal": True}
    assert ledger.answers == [{"action": "decline"}]
    told = [c["data"] for m, c in chunks if m == "custom" and c["name"] == INPUT_EVENT]
    assert [t["type"] for t in told] == ["input_required"]


async def test_langchain_with_a_checkpointer_interrupts_in_langchain_mcp_shape(
    desk_gateway: Gateway, ledger: Ledger
) -> None:
    agent = await _langchain_agent(desk_gateway, InMemorySaver())
    config: Any = {"configurable": {"thread_id": uuid.uuid4().hex}}
    state = await agent.ainvoke({"messages": [HumanMessage("book")]}, config)
    [pause] = state["__interrupt__"]
    payload = pause.value
    assert payload["type"] == "mcp_elicitation"
    assert payload["tool_name"] == "book_seat"
    [request] = payload["requests"]
    assert request["mode"] == "form"
    assert request["message"] == "Seat preferences for flight LH1?"
    assert request["requested_schema"]["required"] == ["name"]
    assert ledger.answers == []  # nothing answered for the user
    resume = {"responses": {request["key"]: {"action": "accept", "content": {"name": "Ann"}}}}
    state = await agent.ainvoke(Command(resume=resume), config)
    [message] = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert message.text == "booked LH1: aisle seat for Ann, meal=True"
    assert ledger.answers == [
        {"action": "accept", "content": {"seat": "aisle", "meal": True, "name": "Ann"}}
    ]


async def test_llamaindex_in_a_workflow_waits_for_the_answer(
    desk_gateway: Gateway, ledger: Ledger
) -> None:
    tools = [
        t
        for t in await GatewayToolSpec(desk_gateway, ["desk"]).to_tool_list_async()
        if t.metadata.name == CALL[0]
    ]
    handler = FunctionAgent(tools=tools, llm=scripted_llm([CALL])).run("book")
    asked: list[InputRequiredEvent] = []
    async for ev in handler.stream_events():
        if isinstance(ev, InputRequiredEvent) and ev.waiting:
            asked.append(ev)
            assert ledger.answers == []
            assert handler.ctx is not None
            handler.ctx.send_event(
                InputAnswerEvent(request_id=ev.request_id, content={"name": "Bo", "meal": False})
            )
    result = await handler
    [event] = asked
    assert event.defaults == {"seat": "aisle", "meal": True}
    assert "booked LH1: aisle seat for Bo, meal=False" in str(result)
    assert ledger.answers == [
        {"action": "accept", "content": {"seat": "aisle", "meal": False, "name": "Bo"}}
    ]


async def test_llamaindex_outside_a_workflow_tells_the_model_and_declines(
    desk_gateway: Gateway, ledger: Ledger
) -> None:
    [tool] = [
        t
        for t in await GatewayToolSpec(desk_gateway, ["desk"]).to_tool_list_async()
        if t.metadata.name == CALL[0]
    ]
    out = await tool.acall(**CALL[1])
    assert out.content.startswith('The server asked the user: "Seat preferences for flight LH1?"')
    assert ledger.answers == [{"action": "decline"}]


async def test_a_toolnode_graph_with_a_checkpointer_pauses_the_same_way(
    desk_gateway: Gateway, ledger: Ledger
) -> None:
    from tests.langchain.conftest import build_agent

    tools = [
        t for t in await GatewayToolkit(desk_gateway, ["desk"]).aget_tools() if t.name == CALL[0]
    ]
    model = ScriptedChatModel(plan=call_then_answer(CALL), disable_streaming=True)
    graph = build_agent("toolnode", model, tools, checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": uuid.uuid4().hex}}
    state = await graph.ainvoke({"messages": [HumanMessage("book")]}, config)
    [pause] = state["__interrupt__"]
    key = pause.value["requests"][0]["key"]
    state = await graph.ainvoke(Command(resume={"responses": {key: {"action": "cancel"}}}), config)
    [message] = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert message.text == "not booked: the passenger chose cancel"
    assert ledger.answers == [{"action": "cancel"}]
