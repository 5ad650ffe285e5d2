"""Offline agents for the reliability suite: real LangChain and LlamaIndex agent loops,
scripted models (no network but the gateway's).

Each model reads what to call from the user's message (``"call <tool> <nonce>"``), so
one agent serves any number of concurrent runs, as in a server handling many users.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from llama_index.core.base.llms.types import ChatMessage, MessageRole, ToolCallBlock
from llama_index.core.llms import MockFunctionCallingLLM

from mcp_gateway_tools.langchain.testing import ScriptedChatModel, since_last_human, tool_call

_ids = itertools.count(1)


def request(tool: str, nonce: str | None, **arguments: Any) -> str:
    """The user message that makes the scripted models call ``tool`` once (with
    ``nonce`` as argument unless None)."""
    nonce = nonce or "-"
    args = ",".join(f"{k}={v}" for k, v in arguments.items())
    return f"call {tool} {nonce} {args}".strip()


def _parse(text: str) -> tuple[str, dict[str, Any]]:
    parts = text.split()
    tool, nonce = parts[1], parts[2]
    arguments: dict[str, Any] = {"nonce": nonce} if nonce != "-" else {}
    for pair in parts[3].split(",") if len(parts) > 3 else []:
        key, _, value = pair.partition("=")
        try:
            arguments[key] = json.loads(value)  # numbers stay numbers
        except ValueError:
            arguments[key] = value
    return tool, arguments


@dataclass
class RunContext:
    """What an application passes to ``create_agent(context_schema=...)``."""

    user_token: str | None = None


def _request_plan(messages: Sequence[BaseMessage]) -> AIMessage:
    """Call the tool the last user message names, then answer quoting its result."""
    done = [m for m in since_last_human(messages) if isinstance(m, ToolMessage)]
    if done:
        return AIMessage(content="answer: " + done[-1].text)
    last_human = [m for m in messages if isinstance(m, HumanMessage)][-1]
    tool, arguments = _parse(str(last_human.content))
    return AIMessage(content="", tool_calls=[tool_call(tool, arguments)])


def scripted_model() -> ScriptedChatModel:
    """One model for any number of concurrent runs: each run's message says the call."""
    return ScriptedChatModel(plan=_request_plan, disable_streaming=True)


def langchain_agent(tools: Sequence[Any]) -> Any:
    """LangChain's ``create_agent`` with the run context carrying the user's token."""
    from langchain.agents import create_agent

    model = scripted_model()
    return create_agent(model, list(tools), context_schema=RunContext)


def tool_messages(state: dict[str, Any]) -> list[ToolMessage]:
    return [m for m in state["messages"] if isinstance(m, ToolMessage)]


def llamaindex_llm() -> MockFunctionCallingLLM:
    """A function-calling LLM: the requested call, then an answer quoting the result."""

    def respond(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        last_user = max(i for i, m in enumerate(messages) if m.role == MessageRole.USER)
        after = messages[last_user + 1 :]
        results = [str(m.content) for m in after if m.role == MessageRole.TOOL]
        if results:
            return ChatMessage(role=MessageRole.ASSISTANT, content="answer: " + results[-1])
        tool, arguments = _parse(str(messages[last_user].content))
        block = ToolCallBlock(
            tool_call_id=f"call-{next(_ids)}", tool_name=tool, tool_kwargs=arguments
        )
        return ChatMessage(role=MessageRole.ASSISTANT, blocks=[block])

    return MockFunctionCallingLLM(response_generator=respond)


def llamaindex_agent(tools: Sequence[Any]) -> Any:
    from llama_index.core.agent.workflow import FunctionAgent

    return FunctionAgent(tools=list(tools), llm=llamaindex_llm())


async def run_llamaindex(agent: Any, text: str, token: str | None) -> tuple[list[Any], list[Any]]:
    """Run the agent with ``token`` in the workflow Context; return (tool outputs, events)."""
    from llama_index.core.agent.workflow import ToolCallResult
    from llama_index.core.workflow import Context

    ctx = Context(agent)
    if token is not None:
        await ctx.store.set("user_token", token)
    handler = agent.run(user_msg=text, ctx=ctx)
    events = [event async for event in handler.stream_events()]
    await handler
    outputs = [e.tool_output for e in events if isinstance(e, ToolCallResult)]
    return outputs, events
