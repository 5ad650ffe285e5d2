"""Scripted chat models for offline agent tests, demos and notebooks.

Pair them with the ``devgateway`` pytest fixture to test an agent that uses gateway
tools without a network or an API key::

    model = scripted_chat_model(("list_messages", {"limit": 2}))
    agent = create_agent(model, tools, context_schema=Context)

A model follows a *plan*: a function from the conversation to the next message.
``call_then_answer`` is the usual plan (make these calls, one per turn, then answer
with what the tools returned, so the answer shows exactly what the model was told).
Plans read the conversation rather than a counter, so one model serves many runs at
once.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult

__all__ = [
    "Call",
    "Plan",
    "ScriptedChatModel",
    "call_then_answer",
    "scripted_chat_model",
    "since_last_human",
    "tool_call",
]

Call = tuple[str, dict[str, Any]]
Plan = Callable[[Sequence[BaseMessage]], AIMessage]
_ids = itertools.count(1)


class ScriptedChatModel(GenericFakeChatModel):
    """A chat model whose next message is ``plan(conversation)``.

    Stock fake models raise in ``bind_tools``; an agent needs it to return a model.
    Build it with ``disable_streaming=True`` when the agent is driven through
    ``astream_events`` (a tool-call-only message must not take the streaming path).
    """

    messages: Any = iter(())
    plan: Any

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChatModel:
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.plan(messages))])


def since_last_human(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """The messages of the current turn: everything after the last human message."""
    for index in range(len(messages) - 1, -1, -1):
        if isinstance(messages[index], HumanMessage):
            return list(messages[index + 1 :])
    return list(messages)


def tool_call(name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    """A tool call as an AIMessage carries it, with a fresh id."""
    return {"name": name, "args": args or {}, "id": f"call_{next(_ids)}", "type": "tool_call"}


def call_then_answer(*calls: Call, separator: str = "\n\n") -> Plan:
    """Make ``calls`` one per model turn, then answer with the tool messages' text."""

    def plan(messages: Sequence[BaseMessage]) -> AIMessage:
        done = [m for m in since_last_human(messages) if isinstance(m, ToolMessage)]
        if len(done) < len(calls):
            name, args = calls[len(done)]
            return AIMessage(content="", tool_calls=[tool_call(name, args)])
        return AIMessage(content=separator.join(m.text for m in done))

    return plan


def scripted_chat_model(*calls: Call, streaming: bool = False) -> ScriptedChatModel:
    """A chat model that makes ``calls`` in order, then answers with their results."""
    return ScriptedChatModel(plan=call_then_answer(*calls), disable_streaming=not streaming)
