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

from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from llama_index.core.base.llms.types import ChatMessage, MessageRole, ToolCallBlock
from llama_index.core.llms import MockFunctionCallingLLM

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


class ScriptedChatModel(GenericFakeChatModel):
    """Calls the requested tool once, then answers with the tool message's text."""

    messages: Any = iter(())

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChatModel:
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        last_human = max(i for i, m in enumerate(messages) if isinstance(m, HumanMessage))
        after = messages[last_human + 1 :]
        done = [m for m in after if isinstance(m, ToolMessage)]
        if done:
            message = AIMessage(content="answer: " + done[-1].text)
        else:
            tool, arguments = _parse(str(messages[last_human].content))
            call = {"name": tool, "args": arguments, "id": f"call_{next(_ids)}"}
            message = AIMessage(content="", tool_calls=[{**call, "type": "tool_call"}])
        return ChatResult(generations=[ChatGeneration(message=message)])


def langchain_agent(tools: Sequence[Any]) -> Any:
    """LangChain's ``create_agent`` with the run context carrying the user's token."""
    from langchain.agents import create_agent

    model = ScriptedChatModel(disable_streaming=True)
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
