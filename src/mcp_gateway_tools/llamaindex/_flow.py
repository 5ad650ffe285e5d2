"""Reading the workflow Context: the caller's token, the event stream, paused waits.

LlamaIndex's ``ctx.wait_for_event`` pauses a step by raising a control-flow exception
and *replays the whole step* once the awaited event arrives. A tool that waited must
therefore know, when it runs again, that this run is the replay: otherwise it would
call the gateway first, and on success leave a resolved waiter behind that a later
answer with the same ``request_id`` would wake, re-running an old tool call. The
tool records each pause in the context store (a counter per request id) and, on the
replay, collects the answer first, then retries once.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from llama_index.core.workflow import Context, Event, WorkflowRuntimeError
from pydantic import SecretStr

from .._errors import ConfigurationError
from ._tokenref import TokenReference

__all__ = [
    "PENDING_KEY",
    "TOKEN_KEY",
    "context_token",
    "in_step",
    "is_pending",
    "mark_pending",
    "request_id_for",
    "step_context",
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


def request_id_for(tool_name: str, arguments: dict[str, Any]) -> str:
    """Stable across the replay of a step, so the pause and the answer meet."""
    key = json.dumps({"tool": tool_name, "args": arguments}, sort_keys=True, default=str)
    return "auth-" + hashlib.sha256(key.encode()).hexdigest()[:20]


async def mark_pending(ctx: Context, request_id: str) -> None:
    """Record that a step is about to pause waiting for ``request_id``."""
    try:
        async with ctx.store.edit_state() as state:
            pending = dict(getattr(state, PENDING_KEY, None) or {})
            pending[request_id] = int(pending.get(request_id, 0)) + 1
            setattr(state, PENDING_KEY, pending)
    except (AttributeError, ValueError, TypeError):  # a typed state without the key
        return


async def is_pending(ctx: Context, request_id: str) -> bool:
    try:
        pending = await ctx.store.get(PENDING_KEY, default=None)
    except (AttributeError, ValueError, KeyError):  # pragma: no cover - typed state
        return False
    return bool(pending and pending.get(request_id))


async def take_pending(ctx: Context, request_id: str) -> None:
    """Forget one recorded pause for ``request_id`` (its answer has been collected)."""
    try:
        async with ctx.store.edit_state() as state:
            pending = dict(getattr(state, PENDING_KEY, None) or {})
            left = int(pending.get(request_id, 0)) - 1
            if left > 0:
                pending[request_id] = left
            else:
                pending.pop(request_id, None)
            setattr(state, PENDING_KEY, pending)
    except (AttributeError, ValueError, TypeError):  # pragma: no cover - typed state
        return
