"""Turn what the MCP client raised into one of our typed errors.

The client reports everything as ``MCPError`` (our transport puts the gateway's HTTP
status and body into ``error.data``), ``RuntimeError`` for failed connects, or an
httpx2 / timeout error. This module decides which :mod:`errors <._errors>` type each is,
and whether the failure only cost us the session (so a fresh session may be tried).

HTTP answers are read from one table (``_http_table``): status (and phase) -> error
class, message and retry facts. Only the forms that need the body or headers to decide
(consent bodies, OAuth challenges) are recognised before the table. Every piece of
gateway text is passed through :func:`._untrusted.sanitize` with the call's token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2
import mcp_types
from mcp.shared.exceptions import MCPError

from . import _auth
from ._errors import (
    CallOutcomeUnknown,
    GatewayError,
    GatewayTimeout,
    GatewayUnavailable,
    ProtocolError,
    RateLimited,
    ToolCallError,
    UnknownServer,
)
from ._http_table import Phase, body_message, retry_after_of, rule_for
from ._links import MAX_MESSAGE
from ._transport import HTTP_ERROR_MARKER, describe_cause
from ._untrusted import Secrets, sanitize

__all__ = ["Call", "Failure", "Phase", "classify"]

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


@dataclass(frozen=True)
class Call:
    """What classifying needs to know about the call that failed.

    ``secrets`` (the call's token) are redacted from every gateway string; ``endpoint``
    is the URL tried (its origin decides which consent links are the gateway's own);
    ``addressed_by_path`` says the user gave a base URL with a path, so a 404 at connect
    is more likely a wrong URL shape than a wrong server name.
    """

    server: str
    service_token: bool
    phase: Phase
    secrets: tuple[Any, ...] = field(default=(), repr=False)
    endpoint: str | None = None
    addressed_by_path: bool = False


def classify(
    exc: BaseException,
    *,
    server: str,
    service_token: bool,
    phase: Phase,
    secrets: Secrets = (),
    endpoint: str | None = None,
    addressed_by_path: bool = False,
) -> Failure:
    """Classify ``exc``, raised while connecting to or calling ``server``.

    A parser that finds the answer unusable (a consent body with a bad link) raises a
    GatewayError; it is the classification, returned like any other.
    """
    call = Call(server, service_token, phase, tuple(secrets), endpoint, addressed_by_path)
    try:
        return _classify(exc, call)
    except GatewayError as error:
        return Failure(error)


def _classify(exc: BaseException, call: Call) -> Failure:
    server = call.server
    if isinstance(exc, GatewayError):
        return Failure(exc)
    if isinstance(exc, MCPError):
        return _from_mcp_error(exc, call)
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, RuntimeError) and isinstance(cause, MCPError | httpx2.TransportError):
        return _classify(cause, call)
    # fastmcp reports a hung handshake as RuntimeErrors raised from the TimeoutError.
    if _caused_by(exc, (TimeoutError, httpx2.TimeoutException)):
        return Failure(_timeout(server), session_lost=True)
    if isinstance(exc, RecursionError):  # a parser met JSON nested beyond reading
        return Failure(_unreadable(server, None, "nested too deeply"), session_lost=True)
    if isinstance(exc, RuntimeError | httpx2.TransportError | OSError):
        # "Client failed to connect", a closed session: nothing ran if we never connected.
        return Failure(
            GatewayUnavailable(
                f"Could not reach the gateway for {server!r}{_at(call.endpoint)}: "
                f"{describe_cause(exc)}.",
                server=server,
            ),
            session_lost=True,
            retry_safe=call.phase == "connect",
        )
    return Failure(
        ProtocolError(
            f"Unexpected failure talking to {server!r}: {type(exc).__name__}.", server=server
        ),
        session_lost=True,
    )


def _at(url: str | None) -> str:
    return f" at {url}" if url else ""


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


def _unreadable(server: str, status: int | None, why: str) -> ProtocolError:
    where = f"HTTP {status} answer" if status else "answer"
    return ProtocolError(
        f"The gateway's {where} for {server!r} could not be read ({why}).",
        server=server,
        status=status,
    )


def _session_lost(server: str) -> CallOutcomeUnknown:
    return CallOutcomeUnknown(
        f"The session with {server!r} was lost and the call may or may not have run; "
        "check before repeating an action with side effects.",
        server=server,
    )


def _unknown_server(call: Call, status: int = 404) -> UnknownServer:
    if call.addressed_by_path and call.endpoint:
        return UnknownServer(
            f"The gateway answered HTTP {status} at {call.endpoint} for {call.server!r}: "
            "that URL is not an MCP endpoint. If the URL you gave is itself the server's "
            "endpoint, or the gateway uses another URL shape, address it with "
            "Gateway(servers={name: url}) or Gateway(endpoint_template=...).",
            server=call.server,
            status=status,
        )
    return UnknownServer(
        f"The gateway has no MCP server named {call.server!r} (or it is not visible to this "
        "token); check the server name in the gateway.",
        server=call.server,
        status=status,
    )


# -- JSON-RPC errors -------------------------------------------------------------------


def _from_mcp_error(exc: MCPError, call: Call) -> Failure:
    server = call.server
    data = exc.data
    if isinstance(data, Mapping) and data.get(HTTP_ERROR_MARKER):
        return _from_http(data, call)
    if exc.code == mcp_types.URL_ELICITATION_REQUIRED:
        elicitations = data.get("elicitations") if isinstance(data, Mapping) else None
        return Failure(
            _auth.from_elicitations(
                elicitations if isinstance(elicitations, list) else [],
                server=server,
                # Any MCP server may send -32042: the service-token note belongs to the
                # gateway's own consent 401 (a virtual account holds no user grants).
                service_token=False,
                message=exc.message or None,
                secrets=call.secrets,
                origin=call.endpoint,
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
        return Failure(_session_lost(server), session_lost=True, retry_safe=call.phase == "connect")
    if exc.code == mcp_types.INTERNAL_ERROR and "error response" in message:
        return Failure(GatewayUnavailable(f"The gateway failed for {server!r}.", server=server))
    if call.phase == "connect" and exc.code == mcp_types.METHOD_NOT_FOUND:
        return Failure(_unknown_server(call))
    text = sanitize(exc.message, call.secrets, limit=MAX_MESSAGE)
    return Failure(
        ToolCallError(f"{server!r} refused the call: {text}", code=exc.code, server=server)
    )


# -- HTTP answers (the table is in _http_table) -----------------------------------


def _from_http(data: Mapping[str, Any], call: Call) -> Failure:
    status = data.get("status")
    if status is None:  # a transport failure rewritten by our transport
        return _from_transport(data, call)
    raw_headers = data.get("headers")
    headers: Mapping[str, Any] = raw_headers if isinstance(raw_headers, Mapping) else {}
    code = status if isinstance(status, int) and not isinstance(status, bool) else 0
    if data.get("unreadable"):
        return Failure(_unreadable(call.server, code or None, str(data["unreadable"])))
    body = data.get("body")
    if code == 401 and (recognised := _recognise_401(body, headers, call)) is not None:
        return Failure(recognised)
    if code == 403 and (
        scoped := _auth.from_scope_challenge(
            headers.get("www-authenticate"), server=call.server, secrets=call.secrets
        )
    ):
        return Failure(scoped)
    rule = rule_for(code, call.phase)
    lost, safe = rule.session_facts(call.phase)
    if rule.error is UnknownServer:
        return Failure(_unknown_server(call, code), session_lost=lost, retry_safe=safe)
    if rule.error is CallOutcomeUnknown:
        return Failure(_session_lost(call.server), session_lost=lost, retry_safe=safe)
    text = body_message(body, call.secrets)
    retry_after = retry_after_of(headers)
    message = rule.message.format(
        server=repr(call.server),
        status=status,
        detail=f": {text}" if text else "",
        hint=f" Retry after {retry_after:.0f} s." if retry_after is not None else "",
    )
    kwargs: dict[str, Any] = {"server": call.server, "status": code or None}
    if rule.error in (RateLimited, GatewayUnavailable):
        kwargs["retry_after"] = retry_after
    return Failure(rule.error(message, **kwargs), session_lost=lost, retry_safe=safe)


def _recognise_401(body: Any, headers: Mapping[str, Any], call: Call) -> GatewayError | None:
    """The 401s that are not a bad token: a consent body, an OAuth challenge."""
    if isinstance(body, Mapping) and _auth.is_auth_required_body(body):
        return _auth.from_gateway_body(
            body,
            server=call.server,
            service_token=call.service_token,
            secrets=call.secrets,
            origin=call.endpoint,
        )
    challenge = headers.get("www-authenticate") or headers.get("WWW-Authenticate")
    return _auth.from_oauth_challenge(challenge, server=call.server, secrets=call.secrets)


def _from_transport(data: Mapping[str, Any], call: Call) -> Failure:
    server = call.server
    reached = bool(data.get("may_have_reached_server"))
    if data.get("timeout") and reached:
        return Failure(_timeout(server), session_lost=True)
    url = data.get("url") if isinstance(data.get("url"), str) else call.endpoint
    cause = sanitize(data.get("cause"), call.secrets, limit=200) or "it may be down or restarting"
    if not reached:
        return Failure(
            GatewayUnavailable(
                f"Could not reach the gateway for {server!r}{_at(url)}: {cause}.", server=server
            ),
            session_lost=True,
            retry_safe=True,
        )
    if call.phase == "connect":
        return Failure(
            GatewayUnavailable(
                f"The connection to the gateway for {server!r}{_at(url)} broke: {cause}.",
                server=server,
            ),
            session_lost=True,
            retry_safe=True,
        )
    return Failure(_session_lost(server), session_lost=True)
