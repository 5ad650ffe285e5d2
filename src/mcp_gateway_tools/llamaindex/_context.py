"""Reading the workflow Context: the caller's token, the event stream, paused waits.

LlamaIndex's ``ctx.wait_for_event`` pauses a step by raising a control-flow exception
and *replays the whole step* once the awaited event arrives. A tool that waited must
therefore know, when it runs again, that this run is the replay: otherwise it would
call the gateway first, and on success leave a resolved waiter behind that a later
answer with the same ``request_id`` would wake, re-running an old tool call. The
tool records each pause in the context store (a counter per call and request id) and,
on the replay, collects the answers first; the engine's flow then finds them when it
reaches the same question again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from llama_index.core.workflow import Context, Event, WorkflowRuntimeError
from pydantic import SecretStr

from .._app_user import APP_USER_KEY
from .._errors import ConfigurationError
from ._tokenref import TokenReference

__all__ = [
    "PENDING_KEY",
    "TOKEN_KEY",
    "call_key",
    "context_app_user",
    "context_token",
    "in_step",
    "mark_pending",
    "pending_for",
    "step_context",
    "stream_writer",
    "take_pending",
    "write_event",
]

TOKEN_KEY = "user_token"
PENDING_KEY = "mcp_gateway_tools_pending_authorization"


async def context_token(ctx: Context | None) -> str | SecretStr | None:
    """The per-request token the app put in the workflow store, if any (a
    :class:`TokenReference` there is resolved to the token bound for it)."""
    if ctx is None:
        return None
    value = await ctx.store.get(TOKEN_KEY, default=None)
    if value is None or isinstance(value, str | SecretStr):
        return value
    if isinstance(value, TokenReference):  # durable workflows: no token in the store
        return value.resolve()
    raise ConfigurationError(
        f"The workflow Context key {TOKEN_KEY!r} must hold a str, SecretStr or "
        f"TokenReference, not {type(value).__name__}."
    )


async def context_app_user(ctx: Context | None) -> object:
    """The app user id the app put in the workflow store (key ``"app_user"``), if any."""
    if ctx is None:
        return None
    return await ctx.store.get(APP_USER_KEY, default=None)


def step_context() -> Context | None:
    """The Context of the workflow step running now, if any (a tool called in a step)."""
    try:
        return Context.get_step_context()
    except WorkflowRuntimeError:
        return None


def in_step(ctx: Context | None) -> bool:
    """Whether ``ctx`` can write events and wait now: we are inside one of its steps."""
    return ctx is not None and step_context() is not None


def write_event(ctx: Context | None, event: Event) -> None:
    if ctx is not None and in_step(ctx):
        ctx.write_event_to_stream(event)


def stream_writer(ctx: Context | None) -> Callable[[Event], None] | None:
    """Write to ``ctx``'s stream from outside the step (progress arrives on the session's
    task); decided now, inside the step."""
    if ctx is not None and in_step(ctx):
        return ctx.write_event_to_stream
    return None


def call_key(server: str, tool_name: str, arguments: dict[str, Any]) -> str:
    """Stable across the replay of a step, so a pause and its answer meet."""
    key = json.dumps([server, tool_name, arguments], sort_keys=True, default=str)
    return "call-" + hashlib.sha256(key.encode()).hexdigest()[:20]


def _slot(call: str, request_id: str) -> str:
    return f"{call}|{request_id}"


async def mark_pending(ctx: Context, call: str, request_id: str) -> None:
    """Record that a step is about to pause waiting for ``request_id``."""
    try:
        async with ctx.store.edit_state() as state:
            pending = dict(getattr(state, PENDING_KEY, None) or {})
            slot = _slot(call, request_id)
            pending[slot] = int(pending.get(slot, 0)) + 1
            setattr(state, PENDING_KEY, pending)
    except (AttributeError, ValueError, TypeError):  # a typed state without the key
        return


async def pending_for(ctx: Context, call: str) -> list[str]:
    """The request ids this call paused on and has not collected yet (a replay)."""
    try:
        pending = await ctx.store.get(PENDING_KEY, default=None)
    except (AttributeError, ValueError, KeyError):  # pragma: no cover - typed state
        return []
    prefix = f"{call}|"
    return [k[len(prefix) :] for k, n in (pending or {}).items() if k.startswith(prefix) and n]


async def take_pending(ctx: Context, call: str, request_id: str) -> None:
    """Forget one recorded pause for ``request_id`` (its answer has been collected)."""
    try:
        async with ctx.store.edit_state() as state:
            pending = dict(getattr(state, PENDING_KEY, None) or {})
            slot = _slot(call, request_id)
            left = int(pending.get(slot, 0)) - 1
            if left > 0:
                pending[slot] = left
            else:
                pending.pop(slot, None)
            setattr(state, PENDING_KEY, pending)
    except (AttributeError, ValueError, TypeError):  # pragma: no cover - typed state
        return
