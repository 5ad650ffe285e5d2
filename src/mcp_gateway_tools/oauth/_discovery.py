"""Where a server's authorization happens: RFC 9728, RFC 8414 / OIDC, in spec order.

The MCP SDK's helpers give the URL orders and parse the documents
(``mcp.client.auth.utils``, ``mcp.shared.auth``); this module fetches them, checks that
the protected resource metadata names *this* server (RFC 8707; a mismatch is refused
before any authorization request), and falls back to the 2025-03-26 rules (metadata at
the server's origin, else ``/authorize``, ``/token``, ``/register`` there).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx2
from mcp.client.auth.utils import (
    build_oauth_authorization_server_metadata_discovery_urls,
    build_protected_resource_metadata_discovery_urls,
    create_oauth_metadata_request,
    handle_auth_metadata_response,
    handle_protected_resource_response,
    issuers_match,
)
from mcp.shared.auth import OAuthMetadata, ProtectedResourceMetadata
from mcp.shared.auth_utils import check_resource_allowed, resource_url_from_server_url
from mcp_types import LATEST_PROTOCOL_VERSION

from .._auth import challenge_params, validate_url
from .._errors import InvalidAuthorizationUrl, OAuthFlowError, ResourceMismatch

__all__ = ["Challenge", "Discovered", "DiscoveryCache", "discover", "probe"]


@dataclass(frozen=True)
class Challenge:
    """What a ``WWW-Authenticate`` Bearer challenge told us (validated links only)."""

    resource_metadata: str | None = None
    scope: str | None = None
    authorization_uri: str | None = None
    """LiteLLM's form: the authorization server's metadata URL itself."""

    @classmethod
    def parse(cls, header: object, server: str) -> Challenge:
        params = challenge_params(header)

        def link(name: str) -> str | None:
            try:
                url = params.get(name)
                return validate_url(url, server) if url else None
            except InvalidAuthorizationUrl:
                return None

        return cls(
            link("resource_metadata"), params.get("scope") or None, link("authorization_uri")
        )


@dataclass(frozen=True)
class Discovered:
    """A server's authorization server and the resource its tokens are for."""

    resource: str
    metadata: OAuthMetadata
    protected: ProtectedResourceMetadata | None
    legacy: bool = False
    challenge_scope: str | None = None  # the scope the server's challenge asked for

    @property
    def issuer(self) -> str:
        return str(self.metadata.issuer)


async def probe(http: httpx2.AsyncClient, endpoint: str, headers: dict[str, str]) -> Challenge:
    """The challenge an unauthenticated ``initialize`` gets (an empty one if not refused).

    The MCP client flow starts from the server's 401; a server that lets
    ``initialize`` through (and refuses later requests) leaves discovery to the
    well-known paths.
    """
    body = {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": LATEST_PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "mcp-gateway-tools-oauth-probe", "version": "0"},
        },
    }
    response = await http.post(
        endpoint,
        json=body,
        headers={**headers, "accept": "application/json, text/event-stream"},
    )
    await response.aclose()
    if response.status_code not in (401, 403):
        return Challenge()
    return Challenge.parse(response.headers.get("www-authenticate"), endpoint)


async def _get(http: httpx2.AsyncClient, url: str) -> httpx2.Response:
    request = create_oauth_metadata_request(url)
    return await http.send(request)


async def _protected_resource(
    http: httpx2.AsyncClient, endpoint: str, challenge: Challenge, server: str
) -> ProtectedResourceMetadata | None:
    failed: int | None = None
    for url in build_protected_resource_metadata_discovery_urls(
        challenge.resource_metadata, endpoint
    ):
        response = await _get(http, url)
        if response.status_code >= 500 or response.status_code == 429:
            failed = response.status_code
        found = await handle_protected_resource_response(response)
        if found is not None:
            return found
    if failed is not None:
        raise OAuthFlowError(
            f"{server!r}: its protected resource metadata could not be read (HTTP {failed}).",
            server=server,
            status=failed,
        )
    return None


async def _authorization_server(
    http: httpx2.AsyncClient, issuer: str | None, endpoint: str
) -> OAuthMetadata | None:
    expected = issuer or _origin(endpoint)
    for url in build_oauth_authorization_server_metadata_discovery_urls(issuer, endpoint):
        ok, found = await handle_auth_metadata_response(await _get(http, url))
        if not ok:
            return None
        if found is None:
            continue
        # RFC 8414 §3.3: the document names the issuer it was asked for. The 2025-03-26
        # path (no protected resource metadata) fetched it from the server's origin,
        # where the issuer may sit under a path: that document stands for the origin.
        if issuer is None or issuers_match(str(found.issuer).rstrip("/"), expected.rstrip("/")):
            return found
    return None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _fallback(endpoint: str) -> OAuthMetadata:
    """2025-03-26: no metadata anywhere; the default endpoints at the server's origin."""
    origin = _origin(endpoint)
    return OAuthMetadata.model_validate(
        {
            "issuer": origin,
            "authorization_endpoint": f"{origin}/authorize",
            "token_endpoint": f"{origin}/token",
            "registration_endpoint": f"{origin}/register",
        }
    )


async def discover(
    http: httpx2.AsyncClient, endpoint: str, challenge: Challenge, server: str
) -> Discovered:
    """The authorization server of ``endpoint`` and the resource to ask tokens for.

    Raises :class:`ResourceMismatch` when the protected resource metadata names a
    resource that does not contain ``endpoint``; :class:`OAuthFlowError` when no
    authorization server metadata can be found for an advertised issuer.
    """
    wanted = resource_url_from_server_url(endpoint)
    protected = await _protected_resource(http, endpoint, challenge, server)
    if protected is None and challenge.authorization_uri is not None:
        _, named_as = await handle_auth_metadata_response(
            await _get(http, challenge.authorization_uri)
        )
        if named_as is not None:
            return Discovered(wanted, named_as, None)
    if protected is None:
        found = await _authorization_server(http, None, endpoint)
        return Discovered(wanted, found or _fallback(endpoint), None, legacy=True)
    named = str(protected.resource)
    if not check_resource_allowed(requested_resource=wanted, configured_resource=named):
        raise ResourceMismatch(
            f"{server!r}: its protected resource metadata is for another resource, so no "
            "authorization was started and no token will be sent to it.",
            error="resource_mismatch",
            server=server,
        )
    issuer = str(protected.authorization_servers[0])
    found = await _authorization_server(http, issuer, endpoint)
    if found is None:
        raise OAuthFlowError(
            f"{server!r}: the authorization server it names publishes no metadata.",
            error="metadata_not_found",
            server=server,
        )
    return Discovered(named, found, protected)


class DiscoveryCache:
    """Discovered servers per endpoint, for ``ttl`` seconds, at most ``bound`` of them."""

    def __init__(self, ttl: float = 3600.0, bound: int = 1024) -> None:
        self._ttl, self._bound = ttl, bound
        self._items: OrderedDict[str, tuple[float, Discovered]] = OrderedDict()

    def get(self, endpoint: str) -> Discovered | None:
        item = self._items.get(endpoint)
        if item is None or item[0] < time.monotonic():
            self._items.pop(endpoint, None)
            return None
        return item[1]

    def put(self, endpoint: str, found: Discovered) -> None:
        self._items[endpoint] = (time.monotonic() + self._ttl, found)
        self._items.move_to_end(endpoint)
        while len(self._items) > self._bound:
            self._items.popitem(last=False)

    def forget(self, endpoint: str) -> None:
        self._items.pop(endpoint, None)
