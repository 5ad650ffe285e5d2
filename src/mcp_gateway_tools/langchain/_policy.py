"""The LangChain names of the engine's policies, and what pauses and events carry.

The decisions themselves live in the core engine (:mod:`mcp_gateway_tools._engine`),
shared with the LlamaIndex adapter; this module maps LangChain's vocabulary onto it
(``"interrupt"`` is the engine's ``"pause"``) and shapes the payloads:

- authorization: the ``authorization_required`` request dict (links, display names,
  ``request_id``, ``tool``, ``server``), as event, callback and interrupt payload;
- input (an MCP form elicitation): interrupts carry langchain.mcp's
  ``{"type": "mcp_elicitation", "tool_name", "requests": [...]}`` so an app written for
  ``langchain.mcp`` can switch; resume with its ``{"responses": {key: {...}}}`` or an
  ``{"action": ...}`` answer;
- approval: interrupts carry ``HumanInTheLoopMiddleware``'s ``HITLRequest`` shape
  (``action_requests`` / ``review_configs``); resume with its ``{"decisions": [...]}``.

Events (custom events and ``stream_mode="custom"`` chunks) always carry the request's
``to_dict()``. See ``docs/interactions.md`` for the one table of kinds and policies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeAlias, get_args

from .._engine import Policies, normalize_policy
from .._errors import ConfigurationError
from .._interactions import (
    ApprovalRequest,
    AuthorizationRequest,
    InputRequest,
    InteractionHandler,
    UserActionRequest,
)

__all__ = [
    "APPROVAL_EVENT",
    "AUTHORIZATION_EVENT",
    "INPUT_EVENT",
    "LOG_EVENT",
    "PROGRESS_EVENT",
    "AuthorizationCallback",
    "AuthorizationOnLoad",
    "AuthorizationPolicy",
    "InteractionPolicy",
    "check_policy",
    "event_name",
    "interrupt_payload",
    "policies",
]

AuthorizationPolicy: TypeAlias = Literal["observation", "raise", "interrupt"]
"""How a tool answers "authorization required" at call time (or pass a callable)."""

InteractionPolicy: TypeAlias = (
    Literal["auto", "observation", "interrupt", "raise", "decline"] | InteractionHandler
)
"""How a tool answers a form elicitation or an approval (see docs/interactions.md)."""

AuthorizationOnLoad: TypeAlias = Literal["placeholder", "raise"]
"""How loading answers a server that cannot even be listed before consent."""

AuthorizationCallback: TypeAlias = Callable[[dict[str, Any]], Awaitable[None] | None]
"""Told (sync or async) of every request with its payload dict; it answers nothing."""

AUTHORIZATION_EVENT = "mcp_authorization_required"
"""Custom event (``astream_events``: ``on_custom_event``; ``stream_mode="custom"``)."""
INPUT_EVENT = "mcp_input_required"
APPROVAL_EVENT = "mcp_approval_required"
PROGRESS_EVENT = "mcp_progress"
LOG_EVENT = "mcp_server_log"

_EVENTS = {"authorization": AUTHORIZATION_EVENT, "input": INPUT_EVENT, "approval": APPROVAL_EVENT}


def event_name(request: UserActionRequest) -> str:
    return _EVENTS[request.kind]


def check_policy(policy: object, on_load: str) -> None:
    """Fail at construction, not at the first consent request, on a misspelt policy."""
    if not callable(policy) and policy not in get_args(AuthorizationPolicy):
        raise ConfigurationError(
            f"on_authorization_required must be one of {get_args(AuthorizationPolicy)} "
            f"or a callable, got {policy!r}."
        )
    if on_load not in get_args(AuthorizationOnLoad):
        raise ConfigurationError(
            f"on_authorization_required_at_load must be one of {get_args(AuthorizationOnLoad)}, "
            f"got {on_load!r}."
        )


def policies(authorization: object, input_: object, approval: object, rule: Any) -> Policies:
    """The engine's policies from the toolkit's arguments."""
    return Policies(
        authorization=normalize_policy(authorization, what="on_authorization_required"),
        input=normalize_policy(input_, what="on_input_required"),
        approval=normalize_policy(approval, what="on_approval_required"),
        approval_rule=rule,
    )


def interrupt_payload(request: UserActionRequest) -> dict[str, Any]:
    """What ``interrupt()`` carries for ``request`` (shapes above)."""
    if isinstance(request, InputRequest):
        return {
            "type": "mcp_elicitation",
            "tool_name": request.tool,
            "requests": [
                {
                    "key": request.request_id,
                    "message": request.message,
                    "mode": "form",
                    "requested_schema": dict(request.requested_schema),
                    "defaults": dict(request.defaults),
                }
            ],
            "kind": "input",
            "request_id": request.request_id,
            "server": request.server,
        }
    if isinstance(request, ApprovalRequest):
        return {
            "action_requests": [
                {
                    "name": request.tool,
                    "args": dict(request.arguments),
                    "description": request.message,
                }
            ],
            "review_configs": [
                {"action_name": request.tool, "allowed_decisions": ["approve", "edit", "reject"]}
            ],
            "type": "approval_required",
            "kind": "approval",
            "request_id": request.request_id,
            "server": request.server,
            "annotations": dict(request.annotations),
        }
    assert isinstance(request, AuthorizationRequest)
    return request.to_dict()
