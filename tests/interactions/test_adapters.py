"""What each adapter adds around the engine: progress and logs as events, approval with
LangChain's own middleware, retries with ToolRetryMiddleware, typed error artifacts."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware, ToolRetryMiddleware
from langchain_core.messages import HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult

from mcp_gateway_tools import Answer, Gateway, RateLimited, UserActionRequest
from mcp_gateway_tools.langchain import (
    LOG_EVENT,
    PROGRESS_EVENT,
    GatewayToolkit,
    approval_middleware,
    interrupt_on,
    is_retryable,
    retry_on,
)
from mcp_gateway_tools.langchain.testing import ScriptedChatModel, call_then_answer
from mcp_gateway_tools.llamaindex import GatewayToolSpec, ProgressEvent, ServerLogEvent
from mcp_gateway_tools.llamaindex.testing import scripted_llm

from .servers import Ledger


def _agent(tools: list[Any], call: tuple[str, dict[str, Any]], **kw: Any) -> Any:
    model = ScriptedChatModel(plan=call_then_answer(call), disable_streaming=True)
    return create_agent(model, tools, checkpointer=InMemorySaver(), **kw)


def _config() -> Any:
    return {"configurable": {"thread_id": uuid.uuid4().hex}}


async def test_langchain_progress_and_logs_are_custom_events_and_stream_chunks(
    desk_gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    tools = await GatewayToolkit(desk_gateway, ["desk"]).aget_tools()
    agent = _agent(tools, ("export_report", {"steps": 2}))
    chunks: list[dict[str, Any]] = []
    with caplog.at_level(logging.DEBUG):
        async for chunk in agent.astream(
            {"messages": [HumanMessage("go")]}, _config(), stream_mode="custom"
        ):
            chunks.append(chunk)
    progress = [c["data"] for c in chunks if c["name"] == PROGRESS_EVENT]
    assert [(p["progress"], p["total"], p["message"]) for p in progress] == [
        (1.0, 2.0, "step 1"),
        (2.0, 2.0, "step 2"),
    ]
    assert [c["data"]["level"] for c in chunks if c["name"] == LOG_EVENT] == ["info", "warning"]
    events = [
        ev["name"]
        async for ev in agent.astream_events(
            {"messages": [HumanMessage("go")]}, _config(), version="v2"
        )
        if ev["event"] == "on_custom_event"
    ]
    assert events.count(PROGRESS_EVENT) == 2
    assert not [r for r in caplog.records if r.name.startswith("fastmcp.client")]


def test_langchain_sync_tools_emit_progress_too(desk_gateway: Gateway) -> None:
    tools = GatewayToolkit(desk_gateway, ["desk"]).get_tools()
    agent = _agent(tools, ("export_report", {"steps": 3}))
    chunks = list(agent.stream({"messages": [HumanMessage("go")]}, _config(), stream_mode="custom"))
    assert [c["data"]["progress"] for c in chunks if c["name"] == PROGRESS_EVENT] == [1, 2, 3]


async def test_llamaindex_progress_and_logs_are_stream_events(desk_gateway: Gateway) -> None:
    tools = await GatewayToolSpec(desk_gateway, ["desk"]).to_tool_list_async()
    agent = FunctionAgent(tools=tools, llm=scripted_llm([("export_report", {"steps": 2})]))
    handler = agent.run("go")
    seen = [ev async for ev in handler.stream_events()]
    await handler
    progress = [e for e in seen if isinstance(e, ProgressEvent)]
    assert [(e.progress, e.total, e.message) for e in progress] == [
        (1.0, 2.0, "step 1"),
        (2.0, 2.0, "step 2"),
    ]
    assert [e.level for e in seen if isinstance(e, ServerLogEvent)] == ["info", "warning"]


async def test_interrupt_on_is_built_from_annotations_and_gates_the_destructive_tool(
    desk_gateway: Gateway, ledger: Ledger
) -> None:
    tools = await GatewayToolkit(desk_gateway, ["desk"]).aget_tools()
    gated = interrupt_on(tools, "destructive")
    # read_booking says read-only; book_seat denies destructiveHint; the rest use MCP's
    # defaults (destructive unless said otherwise).
    assert "cancel_booking" in gated
    assert "read_booking" not in gated
    assert "book_seat" not in gated
    assert gated["cancel_booking"]["allowed_decisions"] == ["approve", "edit", "reject"]
    middleware = approval_middleware(tools, "destructive")
    assert isinstance(middleware, HumanInTheLoopMiddleware)
    agent = _agent(tools, ("cancel_booking", {"ref": "B1"}), middleware=[middleware])
    config = _config()
    state = await agent.ainvoke({"messages": [HumanMessage("go")]}, config)
    assert state["__interrupt__"]
    assert ledger.ran == []
    edit = {"type": "edit", "edited_action": {"name": "cancel_booking", "args": {"ref": "B2"}}}
    state = await agent.ainvoke(Command(resume={"decisions": [edit]}), config)
    assert ledger.ran == [("cancel_booking", {"ref": "B2"})]


@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
async def test_an_edit_answer_runs_the_call_with_the_new_arguments(
    framework: str, desk_gateway: Gateway, ledger: Ledger
) -> None:
    def edit(request: UserActionRequest) -> Answer:
        return Answer.edit({"ref": "EDITED"})

    if framework == "langchain":
        toolkit = GatewayToolkit(
            desk_gateway, ["desk"], approval=["cancel_booking"], on_approval_required=edit
        )
        tools = [t for t in await toolkit.aget_tools() if t.name == "cancel_booking"]
        await _agent(tools, ("cancel_booking", {"ref": "B9"})).ainvoke(
            {"messages": [HumanMessage("go")]}, _config()
        )
    else:
        spec = GatewayToolSpec(
            desk_gateway, ["desk"], approval=["cancel_booking"], on_approval_required=edit
        )
        tools = [t for t in await spec.to_tool_list_async() if t.metadata.name == "cancel_booking"]
        await FunctionAgent(tools=tools, llm=scripted_llm([("cancel_booking", {"ref": "B9"})])).run(
            "go"
        )
    assert ledger.ran == [("cancel_booking", {"ref": "EDITED"})]


@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
async def test_edited_arguments_that_fail_the_schema_are_refused_before_sending(
    framework: str, desk_gateway: Gateway, ledger: Ledger
) -> None:
    def edit(request: UserActionRequest) -> Answer:
        return Answer.edit({"ref": 42})  # the schema wants a string

    options: dict[str, Any] = {"approval": ["cancel_booking"], "on_approval_required": edit}
    call = ("cancel_booking", {"ref": "B9"})  # valid as the model wrote it
    if framework == "langchain":
        toolkit = GatewayToolkit(desk_gateway, ["desk"], **options)
        tools = [t for t in await toolkit.aget_tools() if t.name == "cancel_booking"]
        state = await _agent(tools, call).ainvoke({"messages": [HumanMessage("go")]}, _config())
        [message] = [m for m in state["messages"] if isinstance(m, ToolMessage)]
        text = str(message.content)
    else:
        spec = GatewayToolSpec(desk_gateway, ["desk"], **options)
        tools = [t for t in await spec.to_tool_list_async() if t.metadata.name == "cancel_booking"]
        handler = FunctionAgent(tools=tools, llm=scripted_llm([call])).run("go")
        results = [e async for e in handler.stream_events() if isinstance(e, ToolCallResult)]
        await handler
        text = str(results[0].tool_output.content)
    assert "Invalid arguments" in text
    assert ledger.ran == []


@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
async def test_an_answering_callback_that_raises_is_logged_and_treated_as_unanswered(
    framework: str, desk_gateway: Gateway, ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(request: UserActionRequest) -> Answer:
        raise RuntimeError("UI is down")

    options: dict[str, Any] = {"on_input_required": broken}
    with caplog.at_level(logging.ERROR):
        if framework == "langchain":
            tools = [
                t
                for t in await GatewayToolkit(desk_gateway, ["desk"], **options).aget_tools()
                if t.name == "book_seat"
            ]
            state = await _agent(tools, ("book_seat", {"flight": "LH1"})).ainvoke(
                {"messages": [HumanMessage("go")]}, _config()
            )
            [message] = [m for m in state["messages"] if isinstance(m, ToolMessage)]
            text = message.text
        else:
            spec = GatewayToolSpec(desk_gateway, ["desk"], **options)
            tools = [t for t in await spec.to_tool_list_async() if t.metadata.name == "book_seat"]
            handler = FunctionAgent(
                tools=tools, llm=scripted_llm([("book_seat", {"flight": "LH1"})])
            ).run("go")
            results = [e async for e in handler.stream_events() if isinstance(e, ToolCallResult)]
            await handler
            text = results[0].tool_output.content
    assert "No one could answer here, so it was declined." in text
    assert ledger.answers == [{"action": "decline"}]
    assert "interaction callback failed kind=input" in caplog.text


def test_retry_on_is_true_for_what_a_later_attempt_can_fix() -> None:
    from mcp_gateway_tools import GatewayUnavailable, InvalidToken

    assert retry_on is is_retryable
    assert retry_on(RateLimited("slow down", retry_after=1.0))
    assert retry_on(GatewayUnavailable("502"))
    assert not retry_on(InvalidToken("expired"))
    assert not retry_on(ValueError("x"))


async def test_tool_retry_middleware_retries_an_unavailable_server(
    served: Any, ledger: Ledger
) -> None:
    """A server that is down answers 503/refused: with retryable_errors="raise" the
    middleware retries, then renders its own message; nothing reaches the model as a
    crash. Without it the typed error is the ToolMessage artifact."""
    from tests.support.serving import free_port

    async with Gateway(f"http://127.0.0.1:{free_port()}", token="t", protocol_mode="legacy") as gw:
        from mcp_gateway_tools._toolset import ToolSpec
        from mcp_gateway_tools.langchain import GatewayTool

        spec = ToolSpec(
            server="desk",
            mcp_name="read_booking",
            name="read_booking",
            description="Read one booking.",
            input_schema={"type": "object", "properties": {"ref": {"type": "string"}}},
            info=None,
        )
        plain = GatewayTool.from_spec(gw, spec)
        state = await _agent([plain], ("read_booking", {"ref": "B1"})).ainvoke(
            {"messages": [HumanMessage("go")]}, _config()
        )
        [message] = [m for m in state["messages"] if isinstance(m, ToolMessage)]
        assert message.status == "error"
        assert message.artifact["type"] == "error"
        assert message.artifact["error"] in ("GatewayUnavailable", "GatewayTimeout")

        retrying = GatewayTool.from_spec(gw, spec, retryable_errors="raise")
        middleware = ToolRetryMiddleware(retry_on=retry_on, max_retries=2, initial_delay=0)
        state = await _agent(
            [retrying], ("read_booking", {"ref": "B1"}), middleware=[middleware]
        ).ainvoke({"messages": [HumanMessage("go")]}, _config())
        [message] = [m for m in state["messages"] if isinstance(m, ToolMessage)]
        assert message.status == "error"
        assert "after 3 attempts" in message.text
