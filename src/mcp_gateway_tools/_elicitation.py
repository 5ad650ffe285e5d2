"""What one tool call does when its server asks for the user mid-call.

A server asks through MCP elicitation: a form (an :class:`InputRequest`) or a URL to
open (an :class:`AuthorizationRequest` with ``url_elicitation=True``). Each call
carries a :class:`CallState` that answers, in this order:

1. an answer given in advance for this very request (``answers=``: an adapter
   re-running a call the user has answered while it was paused);
2. ``accept`` for a URL request the server has already reported complete
   (``notifications/elicitation/complete``);
3. the app's handler (``on_interaction=``), sync or async, which may return None;
4. otherwise a form is declined when the caller said so (``unanswered_input=
   "decline"``), and anything else stops the call: the request is recorded, the
   server gets an error (which ends an input loop at once), and the call raises
   :class:`~mcp_gateway_tools.AuthorizationRequired` or
   :class:`~mcp_gateway_tools.InputRequired` so the caller can ask the user.

Nothing here answers a form for the user, and no text from the server reaches a model
unless cleaned (:func:`._interactions.safe_text`).
"""

from __future__ import annotations

import contextvars
import inspect
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from . import _auth
from ._errors import InputRequired
from ._interactions import (
    Answer,
    AuthorizationRequest,
    InputRequest,
    InteractionHandler,
    UserActionRequest,
    apply_defaults,
    parse_answer,
    request_id,
    safe_text,
    schema_defaults,
)

__all__ = [
    "CallState",
    "LogHandler",
    "Progress",
    "ProgressHandler",
    "ServerLog",
    "current_call",
    "log_server_message",
]

server_logger = logging.getLogger("mcp_gateway_tools.server")

UnansweredInput = Literal["raise", "decline"]


@dataclass(frozen=True)
class Progress:
    """One ``notifications/progress`` of a running call."""

    server: str
    tool: str
    progress: float
    total: float | None
    message: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "progress",
            "server": self.server,
            "tool": self.tool,
            "progress": self.progress,
            "total": self.total,
            "message": self.message,
        }


@dataclass(frozen=True)
class ServerLog:
    """One ``notifications/message`` (a server log line), its text cleaned."""

    server: str
    level: str
    logger: str | None
    data: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "server_log",
            "server": self.server,
            "level": self.level,
            "logger": self.logger,
            "data": self.data,
        }


ProgressHandler = Callable[[Progress], Awaitable[None] | None]
LogHandler = Callable[[ServerLog], Awaitable[None] | None]

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "notice": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
    "alert": logging.CRITICAL,
    "emergency": logging.CRITICAL,
}


class StopCall(Exception):
    """Raised by the elicitation handler once a request has been recorded for the caller."""

    def __init__(self) -> None:
        super().__init__("the user must act first; the request was recorded for the caller")


async def _maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


@dataclass
class CallState:
    """One call's answers, handler and what it met."""

    server: str
    tool: str
    arguments: dict[str, Any]
    handler: InteractionHandler | None = None
    answers: Mapping[str, Answer] = field(default_factory=dict)
    unanswered_input: UnansweredInput = "raise"
    on_progress: ProgressHandler | None = None
    on_log: LogHandler | None = None
    stopped: list[UserActionRequest] = field(default_factory=list)
    stopped_urls: list[Any] = field(default_factory=list)
    declined: list[InputRequest] = field(default_factory=list)
    answered: list[tuple[UserActionRequest, Answer]] = field(default_factory=list)
    secrets: tuple[Any, ...] = ()
    """The call's token: removed from any server text that reaches a request."""
    origin: str | None = None
    """The endpoint called, for the links' ``same_origin`` facts."""

    def form_request(self, params: Any) -> InputRequest:
        schema = getattr(params, "requested_schema", None)
        schema = dict(schema) if isinstance(schema, Mapping) else {}
        message = safe_text(getattr(params, "message", ""), secrets=self.secrets)
        return InputRequest(
            request_id=request_id("input", self.server, self.tool, self.arguments, message, schema),
            server=self.server,
            tool=self.tool,
            message=message,
            requested_schema=schema,
            defaults=schema_defaults(schema),
        )

    def url_request(self, params: Any) -> AuthorizationRequest:
        url = _auth.validate_url(getattr(params, "url", None), self.server, secrets=self.secrets)
        key = safe_text(getattr(params, "elicitation_id", None), 200) or self.server
        message = safe_text(getattr(params, "message", ""), secrets=self.secrets) or (
            f"{self.server} asks the user to open a link."
        )
        return AuthorizationRequest(
            request_id=request_id("authorization", self.server, self.tool, self.arguments),
            server=self.server,
            tool=self.tool,
            message=message,
            authorization_urls={str(key): url},
            server_names={str(key): self.server},
            url_elicitation=True,
        )

    async def answer(self, params: Any, completed: Mapping[str, None]) -> Any:
        """Answer one elicitation, or record it and stop the call (StopCall)."""
        from fastmcp.client.elicitation import ElicitResult

        is_url = getattr(params, "mode", None) == "url"
        request: UserActionRequest
        request = self.url_request(params) if is_url else self.form_request(params)
        answer = self.answers.get(request.request_id)
        if answer is None and is_url and getattr(params, "elicitation_id", None) in completed:
            answer = Answer.accept()
        if answer is None and self.handler is not None:
            given = await _maybe_await(self.handler(request))
            answer = None if given is None else parse_answer(request, given)
        if (
            answer is None
            and isinstance(request, InputRequest)
            and self.unanswered_input == "decline"
        ):
            self.declined.append(request)
            answer = Answer.decline()
        if answer is None:
            self.stopped.append(request)
            if is_url:
                self.stopped_urls.append(params)
            raise StopCall()
        self.answered.append((request, answer))
        action = answer.action if answer.action in ("accept", "decline", "cancel") else "accept"
        if action == "accept" and isinstance(request, InputRequest):
            return ElicitResult(action="accept", content=apply_defaults(request, answer.content))
        return ElicitResult(action=action)

    def stop_error(self) -> Exception | None:
        """The error a stopped call raises: consent links first, else the form asked."""
        if self.stopped_urls:
            error = _auth.from_elicitations(
                [u.model_dump(by_alias=True) for u in self.stopped_urls],
                server=self.server,
                service_token=False,  # a URL elicitation is no OAuth problem of the token
                secrets=self.secrets,
                origin=self.origin,
            )
            error.url_elicitation = True  # type: ignore[attr-defined]
            return error
        for request in self.stopped:
            if isinstance(request, InputRequest):
                return InputRequired(request)
        return None

    async def progress(self, progress: float, total: float | None, message: str | None) -> None:
        if self.on_progress is None:
            return
        update = Progress(
            self.server,
            self.tool,
            float(progress),
            total,
            safe_text(message, 500, secrets=self.secrets) if message is not None else None,
        )
        await _maybe_await(self.on_progress(update))


_current: contextvars.ContextVar[CallState | None] = contextvars.ContextVar(
    "mcp_gateway_tools_call", default=None
)


def current_call() -> CallState | None:
    return _current.get()


def enter_call(state: CallState) -> contextvars.Token[CallState | None]:
    return _current.set(state)


def leave_call(token: contextvars.Token[CallState | None]) -> None:
    _current.reset(token)


class Completed:
    """Elicitation ids a server reported complete, bounded (oldest forgotten first)."""

    def __init__(self, limit: int = 256) -> None:
        self._order: deque[str] = deque(maxlen=limit)
        self.ids: dict[str, None] = {}

    def add(self, elicitation_id: str) -> None:
        if elicitation_id in self.ids:
            return
        if len(self._order) == self._order.maxlen:
            self.ids.pop(self._order[0], None)
        self._order.append(elicitation_id)
        self.ids[elicitation_id] = None


async def log_server_message(server: str, params: Any, call: CallState | None) -> None:
    """A server log line goes to ``mcp_gateway_tools.server`` at its mapped level."""
    level = str(getattr(params, "level", "info")).lower()
    data = getattr(params, "data", None)
    text = data if isinstance(data, str) else repr(data)
    entry = ServerLog(
        server=server,
        level=level,
        logger=safe_text(getattr(params, "logger", None), 200) or None,
        data=safe_text(text),
    )
    server_logger.log(
        _LEVELS.get(level, logging.INFO),
        "server=%s%s: %s",
        server,
        f" logger={entry.logger}" if entry.logger else "",
        entry.data,
    )
    if call is not None and call.on_log is not None:
        await _maybe_await(call.on_log(entry))
