"""What an HTTP answer from a gateway means: the status table, and its readers.

A failed POST reaches the classifier with the gateway's status, headers and body
(``_transport``). :data:`HTTP` maps the status (and the phase, connect or call) to
the error class, its message and whether the session is lost and a retry is safe;
:func:`body_message` and :func:`retry_after_of` read the gateway's own words and its
``Retry-After``. Every piece of gateway text passes :func:`._untrusted.sanitize`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal

from ._errors import (
    AccessDenied,
    CallOutcomeUnknown,
    GatewayError,
    GatewayTimeout,
    GatewayUnavailable,
    InvalidToken,
    ProtocolError,
    RateLimited,
    UnknownServer,
)
from ._links import MAX_MESSAGE
from ._untrusted import Secrets, sanitize

__all__ = ["HTTP", "Phase", "Rule", "body_message", "retry_after_of", "rule_for"]

Phase = Literal["connect", "call"]


def body_message(body: Any, secrets: Secrets) -> str | None:
    """The gateway's own human text, if its body has one; never the raw body.

    Reads the shapes real gateways use: ``{"detail": "..."}`` (ContextForge, FastAPI),
    ``{"detail": {"error", "message"}}`` (LiteLLM), ``{"error": {"message"}}`` (also a
    JSON-RPC error) and ``{"message": ...}``; a short plain-text body is used as is.
    """
    candidates: list[Any] = []
    if isinstance(body, Mapping):
        error, detail = body.get("error"), body.get("detail")
        candidates = [
            body.get("message"),
            error.get("message") if isinstance(error, Mapping) else error,
            detail.get("message") if isinstance(detail, Mapping) else detail,
            detail.get("error") if isinstance(detail, Mapping) else None,
        ]
    elif isinstance(body, str) and len(body) <= 200 and "<" not in body:
        candidates = [body]
    for value in candidates:
        if text := sanitize(value, secrets, limit=MAX_MESSAGE):
            return text.rstrip(" .")
    return None


def retry_after_of(headers: Mapping[str, Any]) -> float | None:
    value = headers.get("retry-after") or headers.get("Retry-After")
    if not isinstance(value, str):
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class Rule:
    """One row of the HTTP table.

    ``message`` is formatted with ``server`` (quoted), ``status``, ``detail`` (": the
    gateway's text" or "") and ``hint``; ``session_lost`` / ``retry_safe`` are True,
    False, or "connect" (only when the failure happened while connecting).
    """

    error: type[GatewayError]
    message: str
    session_lost: bool | Phase = False
    retry_safe: bool | Phase = False

    def session_facts(self, phase: Phase) -> tuple[bool, bool]:
        """(session lost, retry safe) for a failure in ``phase``."""
        return _holds(self.session_lost, phase), _holds(self.retry_safe, phase)


HTTP: dict[tuple[int, Phase | None], Rule] = {
    (401, None): Rule(
        InvalidToken,
        "The gateway rejected the token for {server}{detail}. "
        "Use a valid, unexpired gateway token.",
        session_lost="connect",
    ),
    (403, None): Rule(
        AccessDenied, "Access to {server} was denied (unknown server or no access){detail}."
    ),
    (404, "connect"): Rule(UnknownServer, "", session_lost=True),
    (405, "connect"): Rule(UnknownServer, "", session_lost=True),
    # A live session's endpoint vanished: the session is gone, nothing ran.
    (404, "call"): Rule(CallOutcomeUnknown, "", session_lost=True, retry_safe=True),
    (429, None): Rule(RateLimited, "The gateway is rate limiting calls to {server}{detail}.{hint}"),
    (503, None): Rule(
        GatewayUnavailable,
        "The gateway could not serve {server} (HTTP 503){detail}; try again later.{hint}",
    ),
    (504, None): Rule(GatewayTimeout, "The gateway timed out waiting for {server}{detail}."),
    (500, None): Rule(
        GatewayUnavailable,
        "The gateway could not serve {server} (HTTP {status}){detail}; try again later.",
    ),
    (0, None): Rule(ProtocolError, "The gateway answered HTTP {status} for {server}{detail}."),
}
"""(status, phase or None for both) -> rule; (500, None) covers every other 5xx and
(0, None) anything else."""


def rule_for(status: int, phase: Phase) -> Rule:
    for key in ((status, phase), (status, None), (500 if 500 <= status < 600 else 0, None)):
        if key in HTTP:
            return HTTP[key]
    return HTTP[(0, None)]  # pragma: no cover - (0, None) is always there


def _holds(flag: bool | Phase, phase: Phase) -> bool:
    return flag is True or flag == phase
