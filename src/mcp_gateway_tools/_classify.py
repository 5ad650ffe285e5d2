"""Turn what the MCP client raised into one of our typed errors.

The client reports everything as ``MCPError`` (our transport puts the gateway's HTTP
status and body into ``error.data``), ``RuntimeError`` for failed connects, or an
httpx2 / timeout error. This module decides which :mod:`errors <._errors>` type each is,
and whether the failure only cost us the session (so a fresh session may be tried).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import httpx2
import mcp_types
from mcp.shared.exceptions import MCPError

from . import _auth
from ._errors import (
    AccessDenied,
    CallOutcomeUnknown,
    GatewayError,
    GatewayTimeout,
    GatewayUnavailable,
    InvalidToken,
    ProtocolError,
    RateLimited,
    ToolCallError,
    UnknownServer,
)
from ._transport import HTTP_ERROR_MARKER

__all__ = ["Failure", "Phase", "classify"]

Phase = Literal["connect", "call"]

_SESSION_GONE = ("session not found", "session terminated", "session expired")


@dataclass(frozen=True)
class Failure:
    """A classified failure.

    ``session_lost``: the session is unusable and must be discarded.
    ``retry_safe``: the request did not run on the server, so repeating it on a fresh
    session cannot run a tool twice.
    """

    error: GatewayError
    session_lost: bool = False
    retry_safe: bool = False


def classify(exc: BaseException, *, server: str, service_token: bool, phase: Phase) -> Failure:
    """Classify ``exc``, raised while connecting to or calling ``server``."""
    if isinstance(exc, GatewayError):
        return Failure(exc)
    if isinstance(exc, MCPError):
        return _from_mcp_error(exc, server=server, service_token=service_token, phase=phase)
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, RuntimeError) and isinstance(cause, MCPError | httpx2.TransportError):
        return classify(cause, server=server, service_token=service_token, phase=phase)
    # fastmcp reports a hung handshake as RuntimeErrors raised from the TimeoutError.
    if _caused_by(exc, (TimeoutError, httpx2.TimeoutException)):
        return Failure(_timeout(server), session_lost=True)
    if isinstance(exc, RuntimeError | httpx2.TransportError | OSError):
        # "Client failed to connect", a closed session: nothing ran if we never connected.
        return Failure(
            GatewayUnavailable(f"Could not reach the gateway for {server!r}.", server=server),
            session_lost=True,
            retry_safe=phase == "connect",
        )
    return Failure(
        ProtocolError(
            f"Unexpected failure talking to {server!r}: {type(exc).__name__}.", server=server
        ),
        session_lost=True,
    )


def _caused_by(exc: BaseException, kinds: tuple[type[BaseException], ...]) -> bool:
    """Whether ``exc`` or anything in its cause chain is one of ``kinds``."""
    seen: BaseException | None = exc
    for _ in range(8):  # chains are short; the bound guards against cycles
        if seen is None:
            return False
        if isinstance(seen, kinds):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _timeout(server: str) -> GatewayTimeout:
    return GatewayTimeout(
        f"The gateway did not answer for {server!r} in time; try again later.", server=server
    )


def _from_mcp_error(exc: MCPError, *, server: str, service_token: bool, phase: Phase) -> Failure:
    data = exc.data
    if isinstance(data, Mapping) and data.get(HTTP_ERROR_MARKER):
        return _from_http(data, server=server, service_token=service_token, phase=phase)
    if exc.code == mcp_types.URL_ELICITATION_REQUIRED:
        elicitations = data.get("elicitations") if isinstance(data, Mapping) else None
        return Failure(
            _auth.from_elicitations(
                elicitations if isinstance(elicitations, list) else [],
                server=server,
                service_token=service_token,
                message=exc.message or None,
            )
        )
    message = (exc.message or "").lower()
    if exc.code == mcp_types.PARSE_ERROR:
        # The client could not read the answer (not JSON, not JSON-RPC). The parser's
        # text quotes the body, so it is not passed on; the session is not trusted.
        return Failure(
            ProtocolError(
                f"The gateway's answer for {server!r} was not valid JSON-RPC.", server=server
            ),
            session_lost=True,
        )
    if exc.code == mcp_types.REQUEST_TIMEOUT:
        return Failure(_timeout(server))
    if exc.code == mcp_types.INVALID_REQUEST and any(s in message for s in _SESSION_GONE):
        # The server refused the request for its session id: nothing ran.
        return Failure(_session_lost(server), session_lost=True, retry_safe=True)
    if exc.code == mcp_types.CONNECTION_CLOSED:
        return Failure(_session_lost(server), session_lost=True, retry_safe=phase == "connect")
    if exc.code == mcp_types.INTERNAL_ERROR and "error response" in message:
        return Failure(GatewayUnavailable(f"The gateway failed for {server!r}.", server=server))
    if phase == "connect" and exc.code == mcp_types.METHOD_NOT_FOUND:
        return Failure(_unknown_server(server))
    return Failure(
        ToolCallError(f"{server!r} refused the call: {exc.message}", code=exc.code, server=server)
    )


def _session_lost(server: str) -> CallOutcomeUnknown:
    return CallOutcomeUnknown(
        f"The session with {server!r} was lost and the call may or may not have run; "
        "check before repeating an action with side effects.",
        server=server,
    )


def _unknown_server(server: str) -> UnknownServer:
    return UnknownServer(
        f"The gateway has no MCP server named {server!r} (or it is not visible to this "
        "token); check the server name in the gateway.",
        server=server,
        status=404,
    )


def _body_message(body: Any) -> str | None:
    """The gateway's own human text, if its body has one; never the raw body."""
    if isinstance(body, Mapping):
        error = body.get("error")
        for value in (
            body.get("message"),
            error.get("message") if isinstance(error, Mapping) else error,
            body.get("detail"),
        ):
            if isinstance(value, str) and value.strip():
                return value.strip()[:500]
    return None


def _retry_after(headers: Mapping[str, Any]) -> float | None:
    value = headers.get("retry-after") or headers.get("Retry-After")
    if not isinstance(value, str):
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from datetime import UTC, datetime

        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _from_http(
    data: Mapping[str, Any], *, server: str, service_token: bool, phase: Phase
) -> Failure:
    status = data.get("status")
    if status is None:  # a transport failure rewritten by our transport
        reached = bool(data.get("may_have_reached_server"))
        if data.get("timeout") and reached:
            return Failure(_timeout(server), session_lost=True)
        if not reached:
            return Failure(
                GatewayUnavailable(
                    f"Could not reach the gateway for {server!r}; it may be down or restarting.",
                    server=server,
                ),
                session_lost=True,
                retry_safe=True,
            )
        if phase == "connect":
            return Failure(
                GatewayUnavailable(
                    f"The connection to the gateway for {server!r} broke.", server=server
                ),
                session_lost=True,
                retry_safe=True,
            )
        return Failure(_session_lost(server), session_lost=True)
    body = data.get("body")
    raw_headers = data.get("headers")
    headers: Mapping[str, Any] = raw_headers if isinstance(raw_headers, Mapping) else {}
    text = _body_message(body)
    if status == 401:
        if isinstance(body, Mapping) and _auth.is_auth_required_body(body):
            return Failure(
                _auth.from_gateway_body(body, server=server, service_token=service_token)
            )
        return Failure(
            InvalidToken(
                f"The gateway rejected the token for {server!r}"
                + (f": {text}" if text else "")
                + ". Use a valid, unexpired gateway token.",
                server=server,
                status=401,
            ),
            session_lost=phase == "connect",
        )
    if status == 403:
        return Failure(
            AccessDenied(
                f"Access to {server!r} was denied" + (f": {text}" if text else "."),
                server=server,
                status=403,
            )
        )
    if status == 404:
        if phase == "call":  # a live session's endpoint vanished: the session is gone
            return Failure(_session_lost(server), session_lost=True, retry_safe=True)
        return Failure(_unknown_server(server), session_lost=True)
    if status == 429:
        retry_after = _retry_after(headers)
        hint = f" Retry after {retry_after:.0f} s." if retry_after is not None else ""
        return Failure(
            RateLimited(
                f"The gateway is rate limiting calls to {server!r}.{hint}",
                retry_after=retry_after,
                server=server,
                status=429,
            )
        )
    if status == 504:
        return Failure(
            GatewayTimeout(
                f"The gateway timed out waiting for {server!r}.", server=server, status=504
            )
        )
    if isinstance(status, int) and status >= 500:
        return Failure(
            GatewayUnavailable(
                f"The gateway could not serve {server!r} (HTTP {status})"
                + (f": {text}" if text else "")
                + "; try again later.",
                server=server,
                status=status,
            )
        )
    return Failure(
        ProtocolError(
            f"The gateway answered HTTP {status} for {server!r}" + (f": {text}" if text else "."),
            server=server,
            status=status if isinstance(status, int) else None,
        )
    )
