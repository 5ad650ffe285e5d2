"""Workflow events for "the user must act", progress and server logs.

A tool that meets a request writes its event to the workflow's event stream, so the
application can show it next to the chat. Under a pausing policy (``"wait"``) the
event has ``waiting=True`` and the tool waits (``ctx.wait_for_event``) for the app's
answer event carrying the same ``request_id``:

- authorization (consent links): :class:`AuthorizationRequiredEvent`, answered by
  :class:`AuthorizationCompletedEvent`;
- input (a form): :class:`InputRequiredEvent`, answered by :class:`InputAnswerEvent`;
- approval (confirm a call): :class:`ApprovalRequiredEvent`, answered by
  :class:`ApprovalAnswerEvent`.

::

    async for ev in handler.stream_events():
        if isinstance(ev, AuthorizationRequiredEvent) and ev.waiting:
            show_links(ev.authorization_urls, ev.server_names)
            handler.ctx.send_event(AuthorizationCompletedEvent(request_id=ev.request_id))

Every request event has ``payload``: the request's ``to_dict()``, the same dict the
LangChain adapter's events carry. None ever carries a token.
"""

from __future__ import annotations

from typing import Any, Literal

from llama_index.core.workflow import Event
from pydantic import Field

from .._elicitation import Progress, ServerLog
from .._errors import AuthorizationRequired
from .._interactions import (
    ApprovalRequest,
    AuthorizationRequest,
    InputRequest,
    UserActionRequest,
)

__all__ = [
    "ApprovalAnswerEvent",
    "ApprovalRequiredEvent",
    "AuthorizationCompletedEvent",
    "AuthorizationRequiredEvent",
    "InputAnswerEvent",
    "InputRequiredEvent",
    "ProgressEvent",
    "ServerLogEvent",
    "answer_event_type",
    "answer_value",
    "request_event",
]


class AuthorizationRequiredEvent(Event):
    """The user must open each link and consent before ``tool_name`` can run.

    ``request_id`` identifies this wait; echo it in the
    :class:`AuthorizationCompletedEvent`. ``waiting`` is True only when the tool is
    paused for that answer (policy ``"wait"``); otherwise the event is informational.
    """

    request_id: str
    tool_name: str
    server: str
    authorization_urls: dict[str, str] = Field(default_factory=dict)
    server_names: dict[str, str] = Field(default_factory=dict)
    message: str = ""
    links: list[dict[str, Any]] = Field(default_factory=list)
    """Each link with its server, display name and ``same_origin`` flag."""
    omitted_links: int = 0
    waiting: bool = False
    url_elicitation: bool = False
    payload: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def from_error(
        cls,
        exc: AuthorizationRequired,
        *,
        request_id: str,
        tool_name: str,
        server: str,
        waiting: bool,
    ) -> AuthorizationRequiredEvent:
        observation = exc.to_observation()
        return cls(
            request_id=request_id,
            tool_name=tool_name,
            server=exc.server or server,
            authorization_urls=observation["authorization_urls"],
            server_names=observation["server_names"],
            message=observation["message"],
            links=observation["links"],
            omitted_links=observation["omitted_links"],
            waiting=waiting,
        )

    @property
    def observation(self) -> dict[str, Any]:
        """The observation dict of DESIGN §4 (what ``ToolOutput.raw_output`` holds)."""
        return {
            "type": "authorization_required",
            "authorization_urls": dict(self.authorization_urls),
            "server_names": dict(self.server_names),
            "message": self.message,
            "links": [dict(link) for link in self.links],
            "omitted_links": self.omitted_links,
        }


class AuthorizationCompletedEvent(Event):
    """The app's answer to a waiting :class:`AuthorizationRequiredEvent`.

    ``approved=False`` tells the tool the user declined: it stops waiting and tells
    the model so, without calling the gateway again.
    """

    request_id: str
    approved: bool = True


class InputRequiredEvent(Event):
    """A server asks the user to fill a form (an MCP form elicitation)."""

    request_id: str
    tool_name: str
    server: str
    message: str
    requested_schema: dict[str, Any] = Field(default_factory=dict)
    defaults: dict[str, Any] = Field(default_factory=dict)
    waiting: bool = False
    payload: dict[str, Any] = Field(default_factory=dict)


class InputAnswerEvent(Event):
    """The app's answer to a waiting :class:`InputRequiredEvent`.

    ``action`` is ``"accept"`` (with ``content``; the schema's defaults fill the rest),
    ``"decline"`` or ``"cancel"``.
    """

    request_id: str
    action: Literal["accept", "decline", "cancel"] = "accept"
    content: dict[str, Any] | None = None


class ApprovalRequiredEvent(Event):
    """The app wants a person to confirm this call before it is sent."""

    request_id: str
    tool_name: str
    server: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    annotations: dict[str, Any] = Field(default_factory=dict)
    message: str = ""
    waiting: bool = False
    payload: dict[str, Any] = Field(default_factory=dict)


class ApprovalAnswerEvent(Event):
    """The app's answer to a waiting :class:`ApprovalRequiredEvent`."""

    request_id: str
    action: Literal["approve", "reject", "edit"] = "approve"
    reason: str | None = None
    arguments: dict[str, Any] | None = None


class ProgressEvent(Event):
    """A ``notifications/progress`` of a running tool call."""

    tool_name: str
    server: str
    progress: float
    total: float | None = None
    message: str | None = None

    @classmethod
    def of(cls, update: Progress) -> ProgressEvent:
        return cls(
            tool_name=update.tool,
            server=update.server,
            progress=update.progress,
            total=update.total,
            message=update.message,
        )


class ServerLogEvent(Event):
    """A server's log line (also logged to ``mcp_gateway_tools.server``)."""

    server: str
    level: str
    logger: str | None = None
    data: str = ""

    @classmethod
    def of(cls, entry: ServerLog) -> ServerLogEvent:
        return cls(server=entry.server, level=entry.level, logger=entry.logger, data=entry.data)


RequestEvent = AuthorizationRequiredEvent | InputRequiredEvent | ApprovalRequiredEvent
AnswerEvent = AuthorizationCompletedEvent | InputAnswerEvent | ApprovalAnswerEvent


def request_event(request: UserActionRequest, *, waiting: bool) -> RequestEvent:
    """The stream event for ``request``."""
    payload = request.to_dict()
    if isinstance(request, AuthorizationRequest):
        return AuthorizationRequiredEvent(
            request_id=request.request_id,
            tool_name=request.tool,
            server=request.server,
            authorization_urls=dict(request.authorization_urls),
            server_names=dict(request.server_names),
            message=request.message,
            links=list(payload.get("links") or []),
            omitted_links=int(payload.get("omitted_links") or 0),
            waiting=waiting,
            url_elicitation=request.url_elicitation,
            payload=payload,
        )
    if isinstance(request, InputRequest):
        return InputRequiredEvent(
            request_id=request.request_id,
            tool_name=request.tool,
            server=request.server,
            message=request.message,
            requested_schema=dict(request.requested_schema),
            defaults=dict(request.defaults),
            waiting=waiting,
            payload=payload,
        )
    assert isinstance(request, ApprovalRequest)
    return ApprovalRequiredEvent(
        request_id=request.request_id,
        tool_name=request.tool,
        server=request.server,
        arguments=dict(request.arguments),
        annotations=dict(request.annotations),
        message=request.message,
        waiting=waiting,
        payload=payload,
    )


def answer_event_type(request_id: str) -> type[AnswerEvent]:
    """The answer event a wait for ``request_id`` listens for (by its kind prefix)."""
    if request_id.startswith("input-"):
        return InputAnswerEvent
    if request_id.startswith("approval-"):
        return ApprovalAnswerEvent
    return AuthorizationCompletedEvent


def answer_value(event: Event | None) -> object:
    """An answer event as a value the engine's ``parse_answer`` reads."""
    if event is None:
        return None  # timed out: try again once, then tell the model
    if isinstance(event, AuthorizationCompletedEvent):
        return {"authorized": event.approved}
    if isinstance(event, InputAnswerEvent):
        return {"action": event.action, "content": event.content}
    if isinstance(event, ApprovalAnswerEvent):
        return {"action": event.action, "reason": event.reason, "arguments": event.arguments}
    raise TypeError(f"not an answer event: {type(event).__name__}")  # pragma: no cover
