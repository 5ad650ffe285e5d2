"""Offline stand-ins for a chat model, so the notebooks run without an API key.

Each model follows a plan: call these tools (one per turn), then answer with what the
tools returned. Replace them with a real model to see an LLM choose the calls, e.g.
``init_chat_model("openai:gpt-4.1-mini")`` or LlamaIndex ``OpenAI(model="gpt-4.1-mini")``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult

__all__ = ["scripted_chat_model", "scripted_llm"]

Call = tuple[str, dict[str, Any]]
_ids = itertools.count(1)


class _ScriptedChatModel(GenericFakeChatModel):
    messages: Any = iter(())
    calls: list[Call]

    def bind_tools(self, tools: Any, **kwargs: Any) -> _ScriptedChatModel:
        return self  # the plan decides the calls; stock fakes raise here

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        start = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
        done = [m for m in messages[start + 1 :] if isinstance(m, ToolMessage)]
        if len(done) < len(self.calls):
            name, args = self.calls[len(done)]
            call = {"name": name, "args": args, "id": f"call_{next(_ids)}", "type": "tool_call"}
            message = AIMessage(content="", tool_calls=[call])
        else:
            message = AIMessage(content="\n\n".join(m.text for m in done))
        return ChatResult(generations=[ChatGeneration(message=message)])


def scripted_chat_model(*calls: Call) -> _ScriptedChatModel:
    """A LangChain chat model that makes ``calls`` in order, then answers."""
    return _ScriptedChatModel(calls=list(calls), disable_streaming=True)


def scripted_llm(*turns: Sequence[Call]) -> Any:
    """A LlamaIndex function-calling LLM: turn ``i`` makes the calls ``turns[i]``."""
    from llama_index.core.base.llms.types import ChatMessage, MessageRole, ToolCallBlock
    from llama_index.core.llms import MockFunctionCallingLLM

    def respond(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
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
