"""The exceptions this package raises, in one tree.

Every failure a caller can meet is a :class:`GatewayError`; adapters render them as
error observations, and :class:`AuthorizationRequired` as the consent observation::

    GatewayError
    ├── ConfigurationError          bad Gateway arguments, unknown server name form
    ├── MissingUserToken            per-user mode and no token bound anywhere
    │   └── MissingAppUser          a server whose OAuth the app runs, and no app user bound
    ├── AuthorizationRequired       the user must consent to a downstream service
    ├── InputRequired               the server asked the user to fill a form (MCP elicitation)
    ├── ApprovalRequired            a call needs a person's approval first (nothing was sent)
    ├── OAuthRequired               401 OAuth challenge: the server needs an OAuth grant the
    │                               gateway does not hold for the caller (not a bad token)
    ├── AccessDenied                403, or a service token on a per-user OAuth server
    │   └── InsufficientScope       403 ``insufficient_scope``: the grant lacks a scope
    ├── OAuthFlowError              the app's own OAuth flow for a user failed (``error`` code)
    │   ├── AuthorizationDenied     the authorization server's callback said no (access_denied)
    │   ├── InvalidAuthorizationState  callback ``state`` unknown, expired, used, other user's
    │   ├── TokenRequestFailed      the token endpoint refused (invalid_grant, invalid_client)
    │   └── ResourceMismatch        metadata names another resource: no token is sent there
    ├── UnknownServer               404: the gateway has no such server
    ├── InvalidToken                401 that is not a consent request: bad or expired token
    ├── RateLimited                 429; ``retry_after`` in seconds when the gateway says
    ├── GatewayUnavailable          5xx, connection refused or reset, timeout
    │   └── GatewayTimeout          no answer within the configured time
    ├── CallOutcomeUnknown          the session died after the call may have reached the server
    ├── GatewayClosed               the Gateway was closed (aclose) before or during the call
    ├── SessionPoolExhausted        no open session could be held under heavy pressure; retryable
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
and the gateway's own text, which first went through :mod:`._untrusted` (the call's
token redacted, control and bidi characters stripped, length capped). Errors are raised
with no ``__cause__``/``__context__`` (the underlying exception's frames hold the request
headers); ``cause_type`` and ``cause_message`` keep what debugging needs.
"""

from __future__ import annotations

from typing import Any

from ._links import (
    MAX_MESSAGE,
    ConsentLinks,
    LinkFact,
    link_facts,
    render_consent_text,
)
from ._untrusted import clean

__all__ = [
    "AccessDenied",
    "ApprovalRequired",
    "AuthorizationDenied",
    "AuthorizationRequired",
    "CallOutcomeUnknown",
    "ConfigurationError",
    "GatewayClosed",
    "GatewayError",
    "GatewayTimeout",
    "GatewayUnavailable",
    "InputRequired",
    "InsufficientScope",
    "InvalidArguments",
    "InvalidAuthorizationState",
    "InvalidAuthorizationUrl",
    "InvalidToken",
    "LinkFact",
    "MissingAppUser",
    "MissingUserToken",
    "OAuthFlowError",
    "OAuthRequired",
    "ProtocolError",
    "RateLimited",
    "ResourceMismatch",
    "SessionPoolExhausted",
    "TokenRequestFailed",
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
        self.cause_type: str | None = None
        self.cause_message: str | None = None

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

    Whatever the gateway sent is bounded here (``_links``): at most ``MAX_LINKS`` links are kept
    (``omitted_links`` counts the rest), display names and the message are put on one
    line without control or bidi characters and capped. ``origin`` is the gateway's URL
    (any URL on it); links elsewhere are flagged ``same_origin=False``.
    """

    def __init__(
        self,
        message: str,
        *,
        authorization_urls: dict[str, str],
        server_names: dict[str, str],
        server: str | None = None,
        status: int | None = None,
        origin: str | None = None,
        omitted_links: int = 0,
    ):
        links = ConsentLinks.bounded(authorization_urls, server_names, origin, omitted_links)
        super().__init__(clean(message, limit=MAX_MESSAGE + 300), server=server, status=status)
        self.authorization_urls = links.urls
        self.server_names = links.names
        self.omitted_links = links.omitted
        self.same_origin = links.same_origin

    def __repr__(self) -> str:
        return (
            f"AuthorizationRequired(server={self.server!r}, "
            f"authorization_urls={self.authorization_urls!r})"
        )

    def to_observation(self) -> dict[str, Any]:
        """The observation dict of DESIGN §4, for artifacts, events and UIs.

        ``links`` repeats each link with its display name and whether it is on the
        gateway's origin; ``omitted_links`` counts links beyond :data:`MAX_LINKS`.
        """
        return {
            "type": "authorization_required",
            "authorization_urls": dict(self.authorization_urls),
            "server_names": dict(self.server_names),
            "message": self.message,
            "links": self.link_facts(),
            "omitted_links": self.omitted_links,
        }

    @property
    def display_name(self) -> str:
        """The services to authorize, as one phrase ("Mail, Calendar")."""
        return ", ".join(dict.fromkeys(self.server_names.values())) or (self.server or "")

    def links(self) -> list[tuple[str, str]]:
        """(display name, link) for every service to authorize, in the gateway's order."""
        return [(self.server_names.get(k, k), url) for k, url in self.authorization_urls.items()]

    def link_facts(self) -> list[LinkFact]:
        """Every kept link with its server key, display name and origin check."""
        return link_facts(self.authorization_urls, self.server_names, self.same_origin)

    def render_text(self) -> str:
        """Plain text a model can relay verbatim: every display name and full link.

        The library's own sentence comes first; what the gateway or a downstream server
        wrote follows as a quotation, so it cannot pass for the library's instructions.
        """
        return render_consent_text(self.server, self.message, self.link_facts(), self.omitted_links)


class _ActionRequested(GatewayError):
    """An error that carries a user action request: its observation is the request."""

    def __init__(self, message: str, request: Any):
        super().__init__(message, server=request.server)
        self.request = request

    def to_observation(self) -> dict[str, Any]:
        return dict(self.request.to_dict())


class InputRequired(_ActionRequested):
    """The server asked the user for input (an MCP form elicitation) and no one answered.

    ``request`` is the :class:`~mcp_gateway_tools.InputRequest`: the server's message,
    its requested schema and the schema's defaults. Answer it with
    ``call_tool(..., on_interaction=...)`` or ``answers={request.request_id: Answer}``.
    """

    def __init__(self, request: Any):
        super().__init__(f"{request.server} asks the user for input: {request.message}", request)


class ApprovalRequired(_ActionRequested):
    """A call needs a person's approval and the policy says raise; nothing was sent.

    ``request`` is the :class:`~mcp_gateway_tools.ApprovalRequest` (tool, arguments,
    annotations).
    """

    def __init__(self, request: Any):
        super().__init__(f"Calling {request.tool} needs the user's approval.", request)


class OAuthRequired(GatewayError):
    """The server needs an OAuth authorization the gateway does not hold for the caller.

    Raised for a 401 whose ``WWW-Authenticate`` carries an OAuth challenge
    (``resource_metadata`` or ``authorization_uri``): the token itself was accepted by
    the gateway, but this server expects the client to run OAuth for it (LiteLLM's
    OAuth-protected servers, plain MCP servers). Retrying with another gateway token
    does not help. ``resource_metadata_url``, ``authorization_uri`` and ``scope`` are
    the challenge's values (validated links, or None).
    """

    def __init__(
        self,
        message: str,
        *,
        resource_metadata_url: str | None = None,
        authorization_uri: str | None = None,
        scope: str | None = None,
        server: str | None = None,
        status: int | None = None,
    ):
        super().__init__(message, server=server, status=status)
        self.resource_metadata_url = resource_metadata_url
        self.authorization_uri = authorization_uri
        self.scope = scope

    def to_observation(self) -> dict[str, Any]:
        return {
            **super().to_observation(),
            "resource_metadata_url": self.resource_metadata_url,
            "authorization_uri": self.authorization_uri,
            "scope": self.scope,
        }


class MissingAppUser(MissingUserToken):
    """A server whose OAuth the app runs was called with no app user bound."""


class AccessDenied(GatewayError):
    """The gateway refused this identity access to the server (HTTP 403)."""


class InsufficientScope(AccessDenied):
    """403 ``insufficient_scope``: the token is valid but its grant lacks ``scope``.

    Where the app runs the server's OAuth, this becomes a new link asking for the
    larger scope (step-up); it is raised only when a new grant cannot help (the scope
    asked for is already granted) or nobody runs OAuth for the server.
    """

    def __init__(
        self,
        message: str,
        *,
        scope: str | None = None,
        resource_metadata_url: str | None = None,
        server: str | None = None,
        status: int | None = 403,
    ):
        super().__init__(message, server=server, status=status)
        self.scope = scope
        self.resource_metadata_url = resource_metadata_url


class OAuthFlowError(GatewayError):
    """The app's own OAuth flow for a user failed; ``error`` is the OAuth error code.

    ``error`` and ``description`` come from the authorization server (sanitized and
    capped) or name the step that failed; never a token, code or verifier.
    """

    def __init__(
        self,
        message: str,
        *,
        error: str | None = None,
        description: str | None = None,
        server: str | None = None,
        status: int | None = None,
    ):
        super().__init__(message, server=server, status=status)
        self.error = error
        self.description = description

    def to_observation(self) -> dict[str, Any]:
        return {**super().to_observation(), "oauth_error": self.error}


class AuthorizationDenied(OAuthFlowError):
    """The authorization server sent the user back with an error (``access_denied``...)."""


class InvalidAuthorizationState(OAuthFlowError):
    """A callback's ``state`` is unknown, expired, already used, or another user's."""


class TokenRequestFailed(OAuthFlowError):
    """The token endpoint refused a code exchange or a refresh (``invalid_grant``...)."""


class ResourceMismatch(OAuthFlowError):
    """The resource the metadata names is not this server: no authorization, no token."""


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
    """The gateway or the server behind it could not answer (5xx, refused, reset).

    ``retry_after`` is the gateway's Retry-After (seconds) when it sent one (a 503).
    """

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


class GatewayTimeout(GatewayUnavailable):
    """No answer within the configured connect or call timeout."""


class CallOutcomeUnknown(GatewayError):
    """The session was lost after the call may have reached the server.

    Not retried automatically, since a tool with side effects could run twice; the
    next call opens a fresh session.
    """


class GatewayClosed(GatewayError):
    """The Gateway was closed (``aclose()``/``close()``); build a new one to call again."""


class SessionPoolExhausted(GatewayError):
    """No open session could be held for this call: the pool was under heavy pressure.

    Nothing was sent. Retryable: the call may simply be made again (raise
    ``max_sessions`` if it happens often).
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
