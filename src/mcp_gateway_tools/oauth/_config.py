"""What the app declares: per server :class:`OAuth`, per Gateway :class:`OAuthClient`.

``Server(url, oauth=OAuth())`` opts one server in: the app becomes each of its users'
OAuth client for it. ``Gateway(..., oauth=OAuthClient(redirect_uri=...))`` says where
the authorization server sends users back (the app's callback) and where pending
authorizations, client registrations and grants are kept (an ``AsyncKeyValue`` store
of py-key-value; in memory by default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from .._errors import ConfigurationError
from .._headers import check_headers

if TYPE_CHECKING:
    from key_value.aio.protocols import AsyncKeyValue

__all__ = ["ClientAuthMethod", "OAuth", "OAuthClient"]

ClientAuthMethod = Literal["client_secret_basic", "client_secret_post", "none"]


@dataclass(frozen=True)
class OAuth:
    """One server's OAuth, run by the app for each of its users.

    Args:
        client_id: a client registered beforehand with the server's authorization
            server (else a client ID metadata document, else dynamic registration).
        client_secret: its secret, for ``client_secret_basic``/``client_secret_post``.
        token_endpoint_auth_method: how the client authenticates at the token endpoint;
            by default ``client_secret_basic`` with a secret (``post`` when only that is
            advertised), ``none`` without.
        scope: the scopes to ask for first (space-separated); by default the
            challenge's, else the protected resource's ``scopes_supported``.
        header: where the user's access token goes. ``None``: the Authorization header
            (the server is reached directly). A header name such as
            ``"x-mcp-github-authorization"``: the gateway key (or user token) stays in
            Authorization and the user's token for the server rides in that header as
            ``Bearer <token>`` (LiteLLM's per-server header).
    """

    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    token_endpoint_auth_method: ClientAuthMethod | None = None
    scope: str | None = None
    header: str | None = None

    def __post_init__(self) -> None:
        if self.client_secret is not None and self.client_id is None:
            raise ConfigurationError("OAuth(client_secret=...) needs its client_id.")
        method = self.token_endpoint_auth_method
        if method not in (None, "client_secret_basic", "client_secret_post", "none"):
            raise ConfigurationError(
                "token_endpoint_auth_method must be client_secret_basic, client_secret_post "
                "or none."
            )
        if method in ("client_secret_basic", "client_secret_post") and not self.client_secret:
            raise ConfigurationError(f"token_endpoint_auth_method={method!r} needs client_secret.")
        if self.header is not None:
            check_headers({self.header: "x"}, where="OAuth(header=)")


@dataclass(frozen=True)
class OAuthClient:
    """The app as its users' OAuth client: its callback, its identity, its store.

    Args:
        redirect_uri: the absolute URL of the app's callback (where
            :func:`~mcp_gateway_tools.oauth.callback_route` is mounted).
        store: a py-key-value ``AsyncKeyValue`` for pending authorizations (with a
            TTL), client registrations and grants per (app user, resource). Default:
            an in-memory ``MemoryStore`` (lost at restart; one process).
        client_name: the name shown on consent pages (dynamic registration, CIMD).
        client_metadata_url: an https URL where the app serves its client ID metadata
            document; used as ``client_id`` where the authorization server supports it.
        state_ttl: seconds a link's ``state`` stays valid (single use).
        max_pending: pending authorizations kept by the default store.
        refresh_margin: seconds before expiry at which a token is refreshed.
    """

    redirect_uri: str
    store: AsyncKeyValue | None = field(default=None, repr=False, compare=False)
    client_name: str = "mcp-gateway-tools"
    client_metadata_url: str | None = None
    state_ttl: float = 600.0
    max_pending: int = 10_000
    refresh_margin: float = 60.0

    def __post_init__(self) -> None:
        from .._addressing import check_server_url

        check_server_url(self.redirect_uri, what="OAuthClient(redirect_uri=)")
        if self.client_metadata_url is not None:
            check_server_url(self.client_metadata_url, what="OAuthClient(client_metadata_url=)")
        if self.state_ttl <= 0 or self.max_pending < 1 or self.refresh_margin < 0:
            raise ConfigurationError("state_ttl and max_pending must be positive.")
