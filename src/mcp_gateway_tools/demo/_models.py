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
import importlib.util
import os
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel

from ..langchain.testing import scripted_chat_model

__all__ = [
    "langchain_model",
    "langchain_model_name",
    "llamaindex_llm",
    "real_model_name",
]

Call = tuple[str, dict[str, Any]]
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


def langchain_model_name(scripted: bool) -> str | None:
    """As :func:`real_model_name`, for a LangChain-only app (the web demo)."""
    if scripted or not os.environ.get("OPENAI_API_KEY"):
        return None
    if importlib.util.find_spec("langchain_openai") is None:
        return None
    return os.environ.get("MCP_DEMO_OPENAI_MODEL", _DEFAULT_OPENAI_MODEL)


def langchain_model(calls: Sequence[Call], real: str | None) -> BaseChatModel:
    """The scripted plan, or the real chat model (which chooses its own calls)."""
    if real is not None:
        module = importlib.import_module("langchain_openai")
        model: BaseChatModel = module.ChatOpenAI(model=real, temperature=0)
        return model
    return scripted_chat_model(*calls)  # non-streaming: safe under astream_events


def llamaindex_llm(turns: Sequence[Sequence[Call]], real: str | None) -> Any:
    """A LlamaIndex function-calling LLM: turn ``i`` makes the calls ``turns[i]``, then it
    answers with the text of the tool results (or the real OpenAI LLM)."""
    if real is not None:
        module = importlib.import_module("llama_index.llms.openai")
        return module.OpenAI(model=real, temperature=0)
    from ..llamaindex.testing import scripted_llm

    return scripted_llm(*turns)
