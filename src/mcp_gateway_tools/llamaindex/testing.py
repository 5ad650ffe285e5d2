"""A scripted function-calling LLM for offline agent tests, demos and notebooks.

Pair it with the ``devgateway`` pytest fixture to test a LlamaIndex agent that uses
gateway tools without a network or an API key::

    llm = scripted_llm([("search_docs", {"query": "vpn"})])
    agent = FunctionAgent(tools=tools, llm=llm)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, MessageRole, ToolCallBlock
from llama_index.core.llms import MockFunctionCallingLLM

__all__ = ["Call", "OnRequest", "scripted_llm"]

Call = tuple[str, dict[str, Any]]
OnRequest = Callable[[list[ChatMessage], Sequence[Any]], None]
"""Called with each request's messages and tools, so a test can check what the model
was shown (a token it must never see, the tools a user was offered)."""


def scripted_llm(
    *turns: Sequence[Call], on_request: OnRequest | None = None
) -> MockFunctionCallingLLM:
    """Turn ``i`` of each run makes the calls ``turns[i]`` (in parallel); after the last
    turn the LLM answers with the text of the tool results of the run. The script is
    read off the conversation, so one LLM serves concurrent runs (several users)."""

    def respond(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        if on_request is not None:
            on_request(list(messages), kwargs.get("tools") or [])
        start = max((i for i, m in enumerate(messages) if m.role == MessageRole.USER), default=-1)
        after = list(messages[start + 1 :])
        step = sum(1 for m in after if m.role == MessageRole.ASSISTANT)
        if step < len(turns):
            blocks: list[Any] = [
                ToolCallBlock(tool_call_id=f"call-{step}-{i}", tool_name=name, tool_kwargs=args)
                for i, (name, args) in enumerate(turns[step])
            ]
            return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks)
        results = [str(m.content) for m in after if m.role == MessageRole.TOOL]
        return ChatMessage(role=MessageRole.ASSISTANT, content="\n\n".join(results))

    return MockFunctionCallingLLM(response_generator=respond)
