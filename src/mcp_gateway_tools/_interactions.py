"""What "the user must act" means, framework-neutral: the requests and the answers.

A tool call can need a person three ways, and each is one kind of **user action
request** (frozen dataclasses with ``to_dict()``, whose ``type`` tag tells them apart):

- :class:`AuthorizationRequest` (``kind="authorization"``): open links and consent.
  From the gateway's consent 401, a JSON-RPC ``-32042``, or an MCP URL-mode
  elicitation request (then ``url_elicitation`` is True: the server is waiting for the
  answer, and ``accept`` lets the same call finish).
- :class:`InputRequest` (``kind="input"``): an MCP form elicitation: the server's
  message, its requested schema, and the SEP-1034 ``defaults`` the schema declares.
- :class:`ApprovalRequest` (``kind="approval"``): a tool call the application wants a
  person to confirm before anything is sent.

An :class:`Answer` says what the person decided: ``accept`` (with form content),
``decline`` or ``cancel`` (MCP's three elicitation actions), ``approve``, ``reject``
(with a reason) or ``edit`` (with new arguments). :func:`parse_answer` reads the
values apps resume with (LangGraph ``Command(resume=...)``, LangChain HITL decisions,
langchain.mcp's elicitation resume, plain booleans).

``request_id`` is derived from what was asked (kind, server, tool, arguments, and for
input the message and schema), never from a server-chosen id: a framework that
replays a paused call asks the same question again, and the answer must find it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from ._errors import AuthorizationRequired
from ._untrusted import Secrets, sanitize

__all__ = [
    "Answer",
    "AnswerAction",
    "ApprovalRequest",
    "AuthorizationRequest",
    "InputRequest",
    "InteractionHandler",
    "RequestKind",
    "UserActionRequest",
    "apply_defaults",
    "authorization_request",
    "parse_answer",
    "request_id",
    "schema_defaults",
]

RequestKind: TypeAlias = Literal["authorization", "input", "approval"]
AnswerAction: TypeAlias = Literal["accept", "decline", "cancel", "approve", "reject", "edit"]

_MAX_TEXT = 2000


def safe_text(text: object, limit: int = _MAX_TEXT, *, secrets: Secrets = ()) -> str:
    """Gateway-supplied text made fit for a model, an event or a log
    (:func:`._untrusted.sanitize`: the call's token removed, controls stripped, capped)."""
    return sanitize(text, secrets, limit=limit)


def request_id(kind: RequestKind, server: str, tool: str, *parts: object) -> str:
    """A stable id for one question: the same call asking the same thing gets the same id."""
    key = json.dumps([kind, server, tool, *parts], sort_keys=True, default=str)
    return f"{kind}-" + hashlib.sha256(key.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class AuthorizationRequest:
    """The user must open each link and consent before ``tool`` can run (or finish)."""

    request_id: str
    server: str
    tool: str
    message: str
    authorization_urls: Mapping[str, str]
    server_names: Mapping[str, str]
    url_elicitation: bool = False
    """True for an MCP URL-mode elicitation the server awaits: ``accept`` completes it."""
    error: AuthorizationRequired | None = field(default=None, compare=False, repr=False)
    kind: Literal["authorization"] = "authorization"

    def to_dict(self) -> dict[str, Any]:
        """The payload events, interrupts and callbacks carry (never a token).

        Its keys are a superset of the ``authorization_required`` observation, so code
        that reads ``authorization_urls`` keeps working.
        """
        observation = self.error.to_observation() if self.error is not None else {}
        return {
            **observation,
            "type": "authorization_required",
            "kind": self.kind,
            "request_id": self.request_id,
            "tool": self.tool,
            "server": self.server,
            "message": self.message,
            "authorization_urls": dict(self.authorization_urls),
            "server_names": dict(self.server_names),
            "url_elicitation": self.url_elicitation,
        }

    def links(self) -> list[tuple[str, str]]:
        return [(self.server_names.get(k, k), url) for k, url in self.authorization_urls.items()]

    @property
    def display_name(self) -> str:
        return ", ".join(dict.fromkeys(self.server_names.values())) or self.server


@dataclass(frozen=True)
class InputRequest:
    """An MCP form elicitation: the server asks the user to fill ``requested_schema``."""

    request_id: str
    server: str
    tool: str
    message: str
    requested_schema: Mapping[str, Any]
    defaults: Mapping[str, Any]
    """SEP-1034: the ``default`` of each top-level property that declares one."""
    kind: Literal["input"] = "input"

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "input_required",
            "kind": self.kind,
            "request_id": self.request_id,
            "tool": self.tool,
            "server": self.server,
            "message": self.message,
            "requested_schema": dict(self.requested_schema),
            "defaults": dict(self.defaults),
        }


@dataclass(frozen=True)
class ApprovalRequest:
    """The application wants a person to confirm this call before it is sent."""

    request_id: str
    server: str
    tool: str
    mcp_name: str
    arguments: Mapping[str, Any]
    annotations: Mapping[str, Any]
    message: str
    kind: Literal["approval"] = "approval"

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "approval_required",
            "kind": self.kind,
            "request_id": self.request_id,
            "tool": self.tool,
            "server": self.server,
            "mcp_name": self.mcp_name,
            "arguments": dict(self.arguments),
            "annotations": dict(self.annotations),
            "message": self.message,
        }


UserActionRequest: TypeAlias = AuthorizationRequest | InputRequest | ApprovalRequest


@dataclass(frozen=True)
class Answer:
    """What the person decided about one request."""

    action: AnswerAction
    content: Mapping[str, Any] | None = None
    """Form content (``accept`` of an input request)."""
    reason: str | None = None
    """Why (``reject``)."""
    arguments: Mapping[str, Any] | None = None
    """The arguments to run with instead (``edit``)."""

    @classmethod
    def accept(cls, content: Mapping[str, Any] | None = None) -> Answer:
        return cls("accept", content=content)

    @classmethod
    def decline(cls) -> Answer:
        return cls("decline")

    @classmethod
    def cancel(cls) -> Answer:
        return cls("cancel")

    @classmethod
    def approve(cls) -> Answer:
        return cls("approve")

    @classmethod
    def reject(cls, reason: str | None = None) -> Answer:
        return cls("reject", reason=reason)

    @classmethod
    def edit(cls, arguments: Mapping[str, Any]) -> Answer:
        return cls("edit", arguments=dict(arguments))

    @property
    def proceeds(self) -> bool:
        """True when the call goes on (accept, approve, edit)."""
        return self.action in ("accept", "approve", "edit")

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"action": self.action}
        if self.content is not None:
            data["content"] = dict(self.content)
        if self.reason is not None:
            data["reason"] = self.reason
        if self.arguments is not None:
            data["arguments"] = dict(self.arguments)
        return data


InteractionHandler: TypeAlias = Callable[[UserActionRequest], Any]
"""An app callback answering requests: return an :class:`Answer` (or a value
:func:`parse_answer` reads); None means "not answered here", and the policy applies."""


def schema_defaults(schema: Mapping[str, Any]) -> dict[str, Any]:
    """SEP-1034: every top-level property's declared ``default``."""
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return {}
    return {
        str(name): prop["default"]
        for name, prop in properties.items()
        if isinstance(prop, Mapping) and "default" in prop
    }


def apply_defaults(request: InputRequest, content: Mapping[str, Any] | None) -> dict[str, Any]:
    """Accepted content with the schema's defaults filled in where the user gave none."""
    return {**request.defaults, **(content or {})}


def authorization_request(
    error: AuthorizationRequired,
    *,
    tool: str,
    server: str,
    arguments: Mapping[str, Any],
    url_elicitation: bool = False,
) -> AuthorizationRequest:
    """The request an AuthorizationRequired stands for, in the call that met it."""
    where = error.server or server
    return AuthorizationRequest(
        request_id=request_id("authorization", where, tool, dict(arguments)),
        server=where,
        tool=tool,
        message=error.message,
        authorization_urls=dict(error.authorization_urls),
        server_names=dict(error.server_names),
        url_elicitation=url_elicitation or bool(getattr(error, "url_elicitation", False)),
        error=error,
    )


_DECISIONS = {"approve": "approve", "reject": "reject", "edit": "edit", "respond": "reject"}


def parse_answer(request: UserActionRequest, value: object) -> Answer:
    """Read what an app resumed with as an :class:`Answer` for ``request``.

    Accepted: an :class:`Answer`; ``True``/``None`` (done / go ahead) and ``False``
    (declined / rejected); ``{"action": ...}`` with ``content``/``reason``/
    ``arguments``; ``{"authorized": bool}``; a LangChain HITL decision
    (``{"type": "approve" | "edit" | "reject", ...}`` or ``{"decisions": [...]}``);
    langchain.mcp's ``{"responses": {key: {"action": ...}}}``; and for an input
    request a plain mapping of field values, meaning accept with that content.
    Anything else is a ``ValueError`` naming what was expected.
    """
    if isinstance(value, Answer):
        return value
    proceed, stop = _kind_actions(request)
    if value is None or value is True:
        return Answer(proceed)
    if value is False:
        return Answer(stop)
    if not isinstance(value, Mapping):
        raise ValueError(f"cannot read {type(value).__name__} as an answer to {request.kind}")
    if "decisions" in value and isinstance(value["decisions"], list) and value["decisions"]:
        return parse_answer(request, value["decisions"][0])
    if "responses" in value and isinstance(value["responses"], Mapping):
        responses = value["responses"]
        chosen = responses.get(request.request_id)
        if chosen is None and len(responses) == 1:
            chosen = next(iter(responses.values()))
        return parse_answer(request, chosen)
    if "authorized" in value:
        return Answer(proceed if value["authorized"] else stop)
    if "type" in value and value["type"] in _DECISIONS:
        return _hitl_decision(value)
    action = value.get("action")
    if action is None:
        if request.kind == "input":
            return Answer.accept(dict(value))
        raise ValueError(f"an answer to {request.kind} needs an 'action'")
    return _from_action(request, str(action), value)


def _kind_actions(request: UserActionRequest) -> tuple[AnswerAction, AnswerAction]:
    if request.kind == "approval":
        return "approve", "reject"
    return "accept", "decline"


def _hitl_decision(value: Mapping[str, Any]) -> Answer:
    """LangChain's HumanInTheLoopMiddleware decision shape."""
    kind = _DECISIONS[str(value["type"])]
    if kind == "approve":
        return Answer.approve()
    if kind == "edit":
        edited = value.get("edited_action") or {}
        args = edited.get("args") if isinstance(edited, Mapping) else None
        if not isinstance(args, Mapping):
            raise ValueError("an 'edit' decision needs edited_action.args")
        return Answer.edit(args)
    message = value.get("message")
    return Answer.reject(str(message) if message is not None else None)


def _from_action(request: UserActionRequest, action: str, value: Mapping[str, Any]) -> Answer:
    allowed: tuple[str, ...]
    if request.kind == "approval":
        allowed = ("approve", "reject", "edit", "accept", "decline", "cancel")
    else:
        allowed = ("accept", "decline", "cancel")
    if action not in allowed:
        raise ValueError(f"action {action!r} does not answer {request.kind}; use one of {allowed}")
    if request.kind == "approval":
        if action in ("accept", "approve"):
            return Answer.approve()
        if action == "edit":
            args = value.get("arguments")
            if not isinstance(args, Mapping):
                raise ValueError("an 'edit' answer needs 'arguments'")
            return Answer.edit(args)
        reason = value.get("reason")
        return Answer.reject(str(reason) if reason is not None else None)
    content = value.get("content")
    if action == "accept":
        if content is not None and not isinstance(content, Mapping):
            raise ValueError("'content' must be a mapping of field values")
        return Answer.accept(dict(content) if content is not None else None)
    return Answer(action)  # type: ignore[arg-type]  # decline / cancel, checked above
