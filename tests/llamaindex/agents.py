"""Offline LLMs that drive real LlamaIndex agents through scripted tool calls.

The scripts are stateless (the step is read off the conversation), so one agent can
serve several concurrent runs, as it would for several users. Every prompt the agent
sends is recorded, so tests can check what the model was shown.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, MessageRole, ToolCallBlock
from llama_index.core.llms import MockFunctionCallingLLM

Call = tuple[str, dict[str, Any]]


class Recorder:
    """What the agent sent the model: each request's messages and tools."""

    def __init__(self) -> None:
        self.requests: list[list[ChatMessage]] = []
        self.tools: list[Sequence[Any]] = []

    def tool_messages(self) -> list[ChatMessage]:
        seen: dict[str, ChatMessage] = {}
        for messages in self.requests:
            for m in messages:
                if m.role == MessageRole.TOOL:
                    seen[str(m.additional_kwargs.get("tool_call_id"))] = m
        return list(seen.values())

    def text(self) -> str:
        return "\n".join(str(m.content) for msgs in self.requests for m in msgs)


def _since_user(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    last = max((i for i, m in enumerate(messages) if m.role == MessageRole.USER), default=-1)
    return list(messages[last + 1 :])


def function_llm(*turns: list[Call], recorder: Recorder | None = None) -> MockFunctionCallingLLM:
    """A function-calling model: turn ``i`` makes the calls ``turns[i]``, then it answers
    with the text of the last tool results."""

    def respond(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        if recorder is not None:
            recorder.requests.append(list(messages))
            recorder.tools.append(kwargs.get("tools") or [])
        after = _since_user(messages)
        step = sum(1 for m in after if m.role == MessageRole.ASSISTANT)
        if step < len(turns):
            blocks = [
                ToolCallBlock(tool_call_id=f"call-{step}-{i}", tool_name=name, tool_kwargs=args)
                for i, (name, args) in enumerate(turns[step])
            ]
            return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks)
        results = [str(m.content) for m in after if m.role == MessageRole.TOOL]
        return ChatMessage(role=MessageRole.ASSISTANT, content="ANSWER: " + " | ".join(results))

    return MockFunctionCallingLLM(response_generator=respond)


def react_llm(call: Call, recorder: Recorder | None = None) -> MockFunctionCallingLLM:
    """A text-only model speaking the ReAct format: one action, then the answer."""

    def respond(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        if recorder is not None:
            recorder.requests.append(list(messages))
        observations = [
            str(m.content) for m in messages if str(m.content or "").startswith("Observation:")
        ]
        if not observations:
            name, args = call
            text = (
                "Thought: I need a tool to answer.\n"
                f"Action: {name}\n"
                f"Action Input: {json.dumps(args)}"
            )
        else:
            seen = observations[-1].removeprefix("Observation:").strip().replace("\n", " ")
            text = f"Thought: I can answer without using any more tools.\nAnswer: {seen}"
        return ChatMessage(role=MessageRole.ASSISTANT, content=text)

    return MockFunctionCallingLLM(response_generator=respond, is_chat_model=True)
