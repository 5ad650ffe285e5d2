"""Tell the application, without it parsing any text: requests, progress, server logs.

Three channels get the same payload, so the app picks whichever its UI listens to:

- a LangChain custom event (:data:`AUTHORIZATION_EVENT`, :data:`INPUT_EVENT`,
  :data:`APPROVAL_EVENT`, :data:`PROGRESS_EVENT`, :data:`LOG_EVENT`):
  ``astream_events`` shows it as ``on_custom_event``;
- a chunk ``{"name": <event>, "data": payload}`` on LangGraph's ``stream_mode="custom"``;
- for requests, the toolkit's ``authorization_callback`` (sync or async).

A notification callback that raises is logged with its traceback and otherwise
ignored, as in the LlamaIndex adapter: telling the app never fails the tool.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from langchain_core.callbacks import adispatch_custom_event, dispatch_custom_event
from langchain_core.runnables import RunnableConfig

from .._sync import run_sync
from ._binding import graph_runtime

__all__ = ["Emitter"]

logger = logging.getLogger("mcp_gateway_tools.langchain")


class Emitter:
    """The channels of one tool run, captured in the run's own context.

    Progress arrives on the MCP session's task, outside LangChain's context, so the
    stream writer is looked up once here, where the run's context is current.
    """

    def __init__(self, config: RunnableConfig, callback: Callable[..., Any] | None) -> None:
        self.config = config
        self.callback = callback
        runtime = graph_runtime()
        self._writer = runtime.stream_writer if runtime is not None else None
        # A custom event needs a parent run: a tool run by LangChain always has one.
        self._has_run = config.get("callbacks") is not None

    def _stream(self, name: str, payload: dict[str, Any]) -> None:
        if self._writer is not None:
            self._writer({"name": name, "data": payload})

    async def aemit(self, name: str, payload: dict[str, Any], *, notify: bool = False) -> None:
        """Emit ``payload`` on every channel (async tool path)."""
        if self._has_run:
            await adispatch_custom_event(name, payload, config=self.config)
        self._stream(name, payload)
        if notify and self.callback is not None:
            try:
                outcome = self.callback(dict(payload))
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:
                logger.exception("notification callback failed event=%s", name)

    def emit(self, name: str, payload: dict[str, Any], *, notify: bool = False) -> None:
        """Same as :meth:`aemit`, from sync code; an async callback runs on the private loop."""
        if self._has_run:
            dispatch_custom_event(name, payload, config=self.config)
        self._stream(name, payload)
        if notify and self.callback is not None:
            try:
                outcome = self.callback(dict(payload))
                if inspect.isawaitable(outcome):
                    run_sync(_awaited(outcome))
            except Exception:
                logger.exception("notification callback failed event=%s", name)


async def _awaited(awaitable: Any) -> None:
    await awaitable
