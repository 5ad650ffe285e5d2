"""What a LlamaIndex agent showed its model, and a ReAct-speaking model.

Function-calling agents use the shipped ``scripted_llm``; a ``Recorder`` passed as its
``on_request`` keeps every prompt and tool list, so tests can check what the model was
shown. The ReAct model has no shipped counterpart (it speaks text, not tool calls).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms import MockFunctionCallingLLM

from mcp_gateway_tools.llamaindex.testing import Call


class Recorder:
    """What the agent sent the model: each request's messages and tools."""

    def __init__(self) -> None:
        self.requests: list[list[ChatMessage]] = []
        self.tools: list[Sequence[Any]] = []

    def __call__(self, messages: list[ChatMessage], tools: Sequence[Any]) -> None:
        self.requests.append(messages)
        self.tools.append(tools)

    def tool_messages(self) -> list[ChatMessage]:
        seen: dict[str, ChatMessage] = {}
        for messages in self.requests:
            for m in messages:
                if m.role == MessageRole.TOOL:
                    seen[str(m.additional_kwargs.get("tool_call_id"))] = m
        return list(seen.values())

    def text(self) -> str:
        return "\n".join(str(m.content) for msgs in self.requests for m in msgs)


def react_llm(call: Call, recorder: Recorder | None = None) -> MockFunctionCallingLLM:
    """A text-only model speaking the ReAct format: one action, then the answer."""

    def respond(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        if recorder is not None:
            recorder(list(messages), [])
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
