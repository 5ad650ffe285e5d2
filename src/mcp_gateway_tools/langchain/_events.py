"""Tell the application that the user must authorize, without it parsing any text.

Three channels get the same payload (:func:`._policy.authorization_payload`), so the
app picks whichever its UI already listens to:

- a LangChain custom event :data:`AUTHORIZATION_EVENT`: ``astream_events`` shows it
  as ``on_custom_event``, and any callback handler gets ``on_custom_event``;
- a chunk ``{"name": AUTHORIZATION_EVENT, "data": payload}`` on LangGraph's
  ``stream_mode="custom"``, which custom events do not reach by themselves;
- the toolkit's ``authorization_callback``, sync or async.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from langchain_core.callbacks import adispatch_custom_event, dispatch_custom_event
from langchain_core.runnables import RunnableConfig

from .._sync import run_sync
from ._binding import graph_runtime
from ._policy import AUTHORIZATION_EVENT, AuthorizationCallback

__all__ = ["anotify", "notify"]

logger = logging.getLogger("mcp_gateway_tools.langchain")


def _stream_chunk(payload: dict[str, Any]) -> dict[str, Any]:
    return {"name": AUTHORIZATION_EVENT, "data": payload}


def _write_stream(payload: dict[str, Any]) -> None:
    runtime = graph_runtime()
    if runtime is not None:
        runtime.stream_writer(_stream_chunk(payload))


def _has_run(config: RunnableConfig) -> bool:
    # A custom event needs a parent run; a tool always has one when LangChain runs it,
    # but be quiet rather than crash when called some other way.
    return config.get("callbacks") is not None


async def anotify(
    config: RunnableConfig, payload: dict[str, Any], callback: AuthorizationCallback | None
) -> None:
    """Emit the event, the stream chunk and the callback (async tool path)."""
    logger.debug("authorization required tool=%s server=%s", payload["tool"], payload["server"])
    if _has_run(config):
        await adispatch_custom_event(AUTHORIZATION_EVENT, payload, config=config)
    _write_stream(payload)
    if callback is not None:
        outcome = callback(dict(payload))
        if inspect.isawaitable(outcome):
            await outcome


def notify(
    config: RunnableConfig, payload: dict[str, Any], callback: AuthorizationCallback | None
) -> None:
    """Same as :func:`anotify`, from sync code; an async callback runs on the private loop."""
    logger.debug("authorization required tool=%s server=%s", payload["tool"], payload["server"])
    if _has_run(config):
        dispatch_custom_event(AUTHORIZATION_EVENT, payload, config=config)
    _write_stream(payload)
    if callback is not None:
        outcome = callback(dict(payload))
        if inspect.isawaitable(outcome):
            run_sync(_awaited(outcome))


async def _awaited(awaitable: Any) -> None:
    await awaitable
