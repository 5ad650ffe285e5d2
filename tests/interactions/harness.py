"""Run one tool call through a real agent of each framework and record what happened.

``Observed`` is what the identical-behaviour suite compares across LangChain (async and
sync ``create_agent`` with a checkpointer) and LlamaIndex (``FunctionAgent``): the text
the model read, the data a program reads, what the app was told, the pauses, and what
propagated. What reached the server is read from the server's own ledger.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.workflow import Event

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.langchain import GatewayToolkit
from mcp_gateway_tools.langchain.testing import ScriptedChatModel, call_then_answer
from mcp_gateway_tools.llamaindex import (
    ApprovalRequiredEvent,
    AuthorizationRequiredEvent,
    GatewayToolSpec,
    InputRequiredEvent,
)
from mcp_gateway_tools.llamaindex.testing import scripted_llm

FRAMEWORKS = ["langchain-async", "langchain-sync", "llamaindex"]


@dataclass
class Observed:
    texts: list[str] = field(default_factory=list)
    data: Any = None
    events: list[dict[str, Any]] = field(default_factory=list)
    paused: list[str] = field(default_factory=list)
    """The kind of each request the run paused on."""
    raised: str | None = None


LangChainAnswer = Callable[[dict[str, Any]], Any]
LlamaAnswer = Callable[[Event], Event]


def _lc_texts(message: ToolMessage) -> list[str]:
    if isinstance(message.content, str):
        return [message.content]
    return [b["text"] for b in message.content if isinstance(b, dict) and b.get("type") == "text"]


async def run_langchain(
    gateway: Gateway,
    server: str,
    tool: str,
    arguments: dict[str, Any],
    options: dict[str, Any],
    resume: LangChainAnswer,
    *,
    sync: bool,
) -> Observed:
    seen = Observed()
    toolkit = GatewayToolkit(
        gateway, [server], authorization_callback=seen.events.append, **options
    )
    tools = [t for t in await toolkit.aget_tools() if t.name == tool]
    model = ScriptedChatModel(plan=call_then_answer((tool, arguments)))
    agent = create_agent(model, tools, checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": uuid.uuid4().hex}}

    async def invoke(value: Any) -> Any:
        if sync:
            return await asyncio.to_thread(agent.invoke, value, config)
        return await agent.ainvoke(value, config)

    try:
        state = await invoke({"messages": [HumanMessage("go")]})
        while state.get("__interrupt__"):
            [pause] = state["__interrupt__"]
            seen.paused.append(str(pause.value.get("kind")))
            state = await invoke(Command(resume=resume(pause.value)))
    except Exception as exc:  # what propagates out of the agent
        seen.raised = type(exc).__name__
        return seen
    [message] = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    seen.texts = _lc_texts(message)
    seen.data = message.artifact
    return seen


async def run_llamaindex(
    gateway: Gateway,
    server: str,
    tool: str,
    arguments: dict[str, Any],
    options: dict[str, Any],
    answer: LlamaAnswer,
) -> Observed:
    seen = Observed()
    spec = GatewayToolSpec(
        gateway, [server], callback=lambda ev: seen.events.append(ev.payload), **options
    )
    tools = [t for t in await spec.to_tool_list_async() if t.metadata.name == tool]
    agent = FunctionAgent(tools=tools, llm=scripted_llm([(tool, arguments)]))
    handler = agent.run("go")
    results: list[ToolCallResult] = []
    async for ev in handler.stream_events():
        if isinstance(ev, ToolCallResult):
            results.append(ev)
        waiting = isinstance(
            ev, AuthorizationRequiredEvent | InputRequiredEvent | ApprovalRequiredEvent
        ) and getattr(ev, "waiting", False)
        if waiting:
            seen.paused.append(str(ev.payload.get("kind")))  # type: ignore[attr-defined]
            assert handler.ctx is not None
            handler.ctx.send_event(answer(ev))
    await handler
    [result] = results
    output = result.tool_output
    if output.exception is not None and output.is_error and _raised(output.exception):
        # A FunctionAgent turns what a tool raises into an error output for the model.
        seen.raised = type(output.exception).__name__
        return seen
    seen.texts = [b.text for b in output.blocks if hasattr(b, "text")]
    seen.data = output.raw_output
    return seen


def _raised(error: BaseException) -> bool:
    """A policy's "raise", as opposed to a gateway failure rendered for the model."""
    return type(error).__name__ in ("AuthorizationRequired", "InputRequired", "ApprovalRequired")


async def run(
    framework: str,
    gateway: Gateway,
    server: str,
    tool: str,
    arguments: dict[str, Any],
    options: dict[str, Any],
    *,
    resume: LangChainAnswer,
    answer: LlamaAnswer,
) -> Observed:
    """One call through ``framework`` (one of :data:`FRAMEWORKS`)."""
    if framework == "llamaindex":
        options = {k: ("wait" if v == "interrupt" else v) for k, v in options.items()}
        return await run_llamaindex(gateway, server, tool, arguments, options, answer)
    return await run_langchain(
        gateway, server, tool, arguments, options, resume, sync=framework == "langchain-sync"
    )
