"""The demo's models: offline scripted ones by default, a real LLM when one is configured.

A scripted model is a plan: call these tools, one per turn, then answer with what the
tools returned (so the final answer shows exactly what the model was told, consent
links included). Plans read the conversation, not a counter, so one model serves
several users' runs at once.

A real model is used when ``OPENAI_API_KEY`` is set and ``langchain-openai`` /
``llama-index-llms-openai`` are importable (``MCP_DEMO_OPENAI_MODEL`` picks the model,
default ``gpt-4o-mini``); these packages are optional and not installed by default.
"""

from __future__ import annotations

import importlib
import itertools
import os
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult

__all__ = [
    "ScriptedChatModel",
    "langchain_model",
    "llamaindex_llm",
    "real_model_name",
]

Call = tuple[str, dict[str, Any]]
_ids = itertools.count(1)
_DEFAULT_OPENAI_MODEL = "gpt-4o-mini"


def real_model_name(scripted: bool) -> str | None:
    """The OpenAI model to use, or None for scripted models (no key, or not installed)."""
    if scripted or not os.environ.get("OPENAI_API_KEY"):
        return None
    for module in ("langchain_openai", "llama_index.llms.openai"):
        try:
            importlib.import_module(module)
        except ImportError:
            return None
    return os.environ.get("MCP_DEMO_OPENAI_MODEL", _DEFAULT_OPENAI_MODEL)


def _since_last_human(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    for index in range(len(messages) - 1, -1, -1):
        if isinstance(messages[index], HumanMessage):
            return list(messages[index + 1 :])
    return list(messages)


class ScriptedChatModel(GenericFakeChatModel):
    """A LangChain chat model that follows a fixed plan of tool calls, then answers.

    Stock fake models raise in ``bind_tools``; an agent needs it to return a model.
    """

    messages: Any = iter(())
    calls: list[Call]

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChatModel:
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        done = [m for m in _since_last_human(messages) if isinstance(m, ToolMessage)]
        if len(done) < len(self.calls):
            name, args = self.calls[len(done)]
            call = {"name": name, "args": args, "id": f"call_{next(_ids)}", "type": "tool_call"}
            message = AIMessage(content="", tool_calls=[call])
        else:
            message = AIMessage(content="\n\n".join(m.text for m in done))
        return ChatResult(generations=[ChatGeneration(message=message)])


def langchain_model(calls: Sequence[Call], real: str | None) -> BaseChatModel:
    """The scripted plan, or the real chat model (which chooses its own calls)."""
    if real is not None:
        module = importlib.import_module("langchain_openai")
        model: BaseChatModel = module.ChatOpenAI(model=real, temperature=0)
        return model
    # disable_streaming: a tool-call-only message must not go through the streaming path
    # when the agent is driven by astream_events.
    return ScriptedChatModel(calls=list(calls), disable_streaming=True)


def llamaindex_llm(turns: Sequence[Sequence[Call]], real: str | None) -> Any:
    """A LlamaIndex function-calling LLM: turn ``i`` makes the calls ``turns[i]``, then it
    answers with the text of the tool results (or the real OpenAI LLM)."""
    if real is not None:
        module = importlib.import_module("llama_index.llms.openai")
        return module.OpenAI(model=real, temperature=0)
    from llama_index.core.base.llms.types import ChatMessage, MessageRole, ToolCallBlock
    from llama_index.core.llms import MockFunctionCallingLLM

    def respond(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        last_user = max(
            (i for i, m in enumerate(messages) if m.role == MessageRole.USER), default=-1
        )
        after = list(messages[last_user + 1 :])
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
