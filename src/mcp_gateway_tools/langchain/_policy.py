"""What a gateway tool does when the user must authorize first.

One policy per toolkit, because the choice belongs to the application, not the tool:

- ``"observation"`` (default): the tool returns a ToolMessage with the links in text
  (status ``"success"``) and the observation dict as artifact; the model relays them.
- ``"raise"``: :class:`~mcp_gateway_tools.AuthorizationRequired` propagates to the
  caller of the agent, which handles it outside the model's loop.
- ``"interrupt"``: the tool pauses the LangGraph run with ``interrupt(payload)``; the
  application shows the links and resumes with ``Command(resume=...)``; the tool then
  retries once and returns the real result, or a fresh observation.

Whatever the policy, the application is also told without parsing text: a custom event
:data:`AUTHORIZATION_EVENT` and an optional callback, both given the same payload,
once per observation returned, per raise, or per pause (just before it; a resumed
call that then succeeds is not reported again).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal, TypeAlias, get_args

from .._errors import AuthorizationRequired, ConfigurationError

__all__ = [
    "AUTHORIZATION_EVENT",
    "AuthorizationCallback",
    "AuthorizationOnLoad",
    "AuthorizationPolicy",
    "authorization_payload",
    "check_policy",
    "declined",
]

AuthorizationPolicy: TypeAlias = Literal["observation", "raise", "interrupt"]
"""How a tool answers "authorization required" at call time."""

AuthorizationOnLoad: TypeAlias = Literal["placeholder", "raise"]
"""How loading answers a server that cannot even be listed before consent."""

AuthorizationCallback: TypeAlias = Callable[[dict[str, Any]], Awaitable[None] | None]
"""Called with the authorization payload; may be a plain function or a coroutine one."""

AUTHORIZATION_EVENT = "mcp_authorization_required"
"""Name of the LangChain custom event (``astream_events``: ``on_custom_event``) and of
the chunk written to LangGraph's ``stream_mode="custom"``."""


def check_policy(policy: str, on_load: str) -> None:
    """Fail at construction, not at the first consent request, on a misspelt policy."""
    if policy not in get_args(AuthorizationPolicy):
        raise ConfigurationError(
            f"on_authorization_required must be one of {get_args(AuthorizationPolicy)}, "
            f"got {policy!r}."
        )
    if on_load not in get_args(AuthorizationOnLoad):
        raise ConfigurationError(
            f"on_authorization_required_at_load must be one of {get_args(AuthorizationOnLoad)}, "
            f"got {on_load!r}."
        )


def authorization_payload(
    error: AuthorizationRequired, *, tool: str, server: str
) -> dict[str, Any]:
    """The observation dict plus which tool and server asked: what events, callbacks and
    interrupts carry. Only names and validated links: never a token."""
    return {**error.to_observation(), "tool": tool, "server": server}


def declined(resume: object) -> bool:
    """True when the application resumed an interrupt to say the user declined.

    ``Command(resume=False)`` or ``Command(resume={"authorized": False})``; any other
    value means "the user says they are done, try again".
    """
    if resume is False:
        return True
    return isinstance(resume, Mapping) and resume.get("authorized") is False
