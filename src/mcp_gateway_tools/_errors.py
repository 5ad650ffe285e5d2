"""The exceptions this package raises, in one tree.

Every failure a caller can meet is a :class:`GatewayError`; adapters render them as
error observations, and :class:`AuthorizationRequired` as the consent observation::

    GatewayError
    ├── ConfigurationError          bad Gateway arguments, unknown server name form
    ├── MissingUserToken            per-user mode and no token bound anywhere
    ├── AuthorizationRequired       the user must consent to a downstream service
    ├── AccessDenied                403, or a service token on a per-user OAuth server
    ├── UnknownServer               404: the gateway has no such server
    ├── InvalidToken                401 that is not a consent request: bad or expired token
    ├── RateLimited                 429; ``retry_after`` in seconds when the gateway says
    ├── GatewayUnavailable          5xx, connection refused or reset, timeout
    │   └── GatewayTimeout          no answer within the configured time
    ├── CallOutcomeUnknown          the session died after the call may have reached the server
    ├── ToolCallError               the server refused the call (unknown tool, bad arguments)
    │   └── InvalidArguments        arguments failed the tool's input schema, before sending
    ├── ProtocolError               an answer we cannot read (malformed body, bad link)
    │   └── InvalidAuthorizationUrl a consent link that is not an absolute http(s) URL
    └── ToolLoadError               loading tools: servers failed (``errors`` per server)

``ToolLoadWarning`` (a ``UserWarning``, not an exception) reports one server left out
of a tool list under the default ``on_server_error="warn"``; it carries the typed error.

A tool that runs and reports failure (MCP ``isError``) is not an exception: it is a
:class:`~mcp_gateway_tools.ToolResult` with ``is_error=True``, as the protocol means it.
No message here ever contains a token: they are built from server names, status codes
and the gateway's own text only.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AccessDenied",
    "AuthorizationRequired",
    "CallOutcomeUnknown",
    "ConfigurationError",
    "GatewayError",
    "GatewayTimeout",
    "GatewayUnavailable",
    "InvalidArguments",
    "InvalidAuthorizationUrl",
    "InvalidToken",
    "MissingUserToken",
    "ProtocolError",
    "RateLimited",
    "ToolCallError",
    "ToolLoadError",
    "ToolLoadWarning",
    "UnknownServer",
]


class GatewayError(Exception):
    """Base of every error raised by mcp-gateway-tools.

    ``server`` names the gateway server involved, when one is; ``status`` is the HTTP
    status the gateway answered with, when there was one.
    """

    def __init__(self, message: str, *, server: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.server = server
        self.status = status

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, server={self.server!r})"

    def to_observation(self) -> dict[str, Any]:
        """A JSON-ready description of the failure, fit for a model or a UI."""
        return {"type": "error", "error": type(self).__name__, "message": self.message}


class ConfigurationError(GatewayError):
    """The Gateway was given arguments it cannot work with."""


class MissingUserToken(GatewayError):
    """A call needs a user token and none is bound.

    Raised, never swallowed: a missing token is a programming error, and falling back
    to another identity would be worse.
    """


class AuthorizationRequired(GatewayError):
    """The user has not yet authorized one or more downstream services.

    ``authorization_urls`` maps server name -> consent link (validated absolute
    http(s)); ``server_names`` maps server name -> display name. After the user opens
    each link and consents, the same call succeeds with no change on the client.
    """

    def __init__(
        self,
        message: str,
        *,
        authorization_urls: dict[str, str],
        server_names: dict[str, str],
        server: str | None = None,
        status: int | None = None,
    ):
        super().__init__(message, server=server, status=status)
        self.authorization_urls = dict(authorization_urls)
        self.server_names = dict(server_names)

    def __repr__(self) -> str:
        return (
            f"AuthorizationRequired(server={self.server!r}, "
            f"authorization_urls={self.authorization_urls!r})"
        )

    def to_observation(self) -> dict[str, Any]:
        """The observation dict of DESIGN §4, for artifacts, events and UIs."""
        return {
            "type": "authorization_required",
            "authorization_urls": dict(self.authorization_urls),
            "server_names": dict(self.server_names),
            "message": self.message,
        }

    @property
    def display_name(self) -> str:
        """The services to authorize, as one phrase ("Mail, Calendar")."""
        return ", ".join(dict.fromkeys(self.server_names.values())) or (self.server or "")

    def links(self) -> list[tuple[str, str]]:
        """(display name, link) for every service to authorize, in the gateway's order."""
        return [(self.server_names.get(k, k), url) for k, url in self.authorization_urls.items()]

    def render_text(self) -> str:
        """Plain text a model can relay verbatim: every display name and full link."""
        lines = [self.message.rstrip(), "", "Please ask the user to authorize access:"]
        lines += [f"- {name}: {url}" for name, url in self.links()]
        lines.append("")
        lines.append("After the user has authorized, call the tool again.")
        return "\n".join(lines)


class AccessDenied(GatewayError):
    """The gateway refused this identity access to the server (HTTP 403)."""


class UnknownServer(GatewayError):
    """The gateway has no server by that name (HTTP 404)."""


class InvalidToken(GatewayError):
    """The gateway rejected the token itself: missing, malformed, revoked or expired."""


class RateLimited(GatewayError):
    """The gateway asked us to slow down (HTTP 429)."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        server: str | None = None,
        status: int | None = None,
    ):
        super().__init__(message, server=server, status=status)
        self.retry_after = retry_after


class GatewayUnavailable(GatewayError):
    """The gateway or the server behind it could not answer (5xx, refused, reset)."""


class GatewayTimeout(GatewayUnavailable):
    """No answer within the configured connect or call timeout."""


class CallOutcomeUnknown(GatewayError):
    """The session was lost after the call may have reached the server.

    Not retried automatically, since a tool with side effects could run twice; the
    next call opens a fresh session.
    """


class ToolCallError(GatewayError):
    """The server refused the call itself (unknown tool, invalid arguments).

    ``code`` is the JSON-RPC error code the server sent.
    """

    def __init__(self, message: str, *, code: int, server: str | None = None):
        super().__init__(message, server=server)
        self.code = code


class InvalidArguments(ToolCallError):
    """The arguments do not match the tool's input schema; nothing was sent.

    The message lists each problem with its location, so a model can correct the call.
    """

    def __init__(self, message: str, *, server: str | None = None):
        super().__init__(message, code=-32602, server=server)


class ProtocolError(GatewayError):
    """The gateway's answer could not be understood."""


class InvalidAuthorizationUrl(ProtocolError):
    """A consent link was not an absolute http(s) URL and was refused."""


class ToolLoadError(GatewayError):
    """Servers could not be listed while loading tools (``on_server_error="raise"``).

    ``errors`` maps each failing server to its own typed error; every server was tried
    before this was raised, so the message names them all.
    """

    def __init__(self, errors: dict[str, GatewayError]):
        parts = [f"{server}: {type(e).__name__}: {e.message}" for server, e in errors.items()]
        super().__init__("Could not load the tools of " + "; ".join(parts))
        self.errors = dict(errors)


class ToolLoadWarning(UserWarning):
    """One server was left out of a tool list; ``error`` says why (typed)."""

    def __init__(self, server: str, error: GatewayError):
        super().__init__(
            f"server {server!r} left out of the tool list: {type(error).__name__}: {error.message}"
        )
        self.server = server
        self.error = error
