"""A standard MCP authorization server for the dev gateway's ``mcp-oauth`` servers.

It is the authorization server (MCP 2025-11-25 / OAuth 2.1) of the sample servers the
gateway does *not* front, so an app can run the client side of MCP authorization
offline. The protocol endpoints are the MCP SDK's, through fastmcp's
:class:`OAuthProvider` (RFC 8414 metadata, RFC 7591 dynamic registration, PKCE S256
checks, RFC 7009 revocation); this class supplies the policy behind them:

- who consents is who **signs in** on its own page (a session cookie scoped to
  ``/as``); ``login_hint`` and every other request parameter are ignored for that;
- each token is bound to one resource (RFC 8707 ``resource``, required) and one user;
- codes are single-use (a replayed code revokes what it issued), refresh tokens rotate
  (a reused one revokes its grant), revocation drops access and refresh together;
- pending requests and sessions expire and are bounded.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from fastmcp.server.auth.auth import AccessToken, OAuthProvider
from mcp.server.auth.provider import (
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    RefreshToken,
    TokenError,
)
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

from ._auth import listed
from ._oauth import TokenInfo

__all__ = ["DevAuthorizationServer", "Pending", "ProtectedResource"]

_MAX_PENDING = 1000
_MAX_SPENT = 10_000  # used codes and rotated-out refresh tokens remembered (for reuse)


def _remember(spent: dict[str, str], key: str, grant_id: str) -> None:
    """Remember a spent code or refresh token, forgetting the oldest beyond the bound."""
    spent[key] = grant_id
    while len(spent) > _MAX_SPENT:
        del spent[next(iter(spent))]


@dataclass(frozen=True)
class ProtectedResource:
    """One OAuth-protected sample server: its resource identifier is its MCP URL."""

    server: str
    display_name: str
    url: str
    scopes: tuple[str, ...]
    scopes_supported: tuple[str, ...]
    users: tuple[str, ...] = ("*",)

    def allows(self, name: str, identity: str) -> bool:
        return listed(self.users, name, identity)


@dataclass
class Pending:
    """An authorization request waiting for the user to sign in and decide."""

    client_id: str
    client_name: str
    params: AuthorizationParams
    resource: ProtectedResource
    scopes: list[str]
    expires_at: float
    session: str | None = None  # the session the consent page was shown to


@dataclass
class _Grant:
    """What one consent produced: the current access/refresh pair of a family."""

    grant_id: str
    subject: str
    client_id: str
    resource: str
    scopes: list[str]
    access: str = ""
    refresh: str = ""
    serial: int = 0


@dataclass
class _Tables:
    clients: dict[str, OAuthClientInformationFull] = field(default_factory=dict)
    pending: dict[str, Pending] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    used_codes: dict[str, str] = field(default_factory=dict)  # code -> grant id
    access: dict[str, AccessToken] = field(default_factory=dict)
    refresh: dict[str, RefreshToken] = field(default_factory=dict)
    rotated: dict[str, str] = field(default_factory=dict)  # old refresh -> grant id
    grants: dict[str, _Grant] = field(default_factory=dict)


def _same_resource(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


class DevAuthorizationServer(OAuthProvider):
    """The authorization server; its pages live in ``_authpages``, its endpoints in
    ``_asroutes``."""

    def __init__(
        self,
        *,
        issuer: str,
        resources: dict[str, ProtectedResource],
        access_token_ttl: float,
        request_ttl: float,
    ) -> None:
        scopes = sorted({s for r in resources.values() for s in r.scopes_supported})
        super().__init__(
            base_url=issuer,
            client_registration_options=ClientRegistrationOptions(
                enabled=True, valid_scopes=scopes, default_scopes=scopes
            ),
            revocation_options=RevocationOptions(enabled=True),
        )
        self.issuer = issuer.rstrip("/")
        self.resources = resources
        self.all_scopes = scopes
        self.access_token_ttl = access_token_ttl
        self.request_ttl = request_ttl
        self._t = _Tables()
        self._lock = threading.Lock()
        self._serial = 0

    # -- clients ---------------------------------------------------------------------

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        """The registered client; a registration's ``scope`` does not cap what it may
        ask later (step-up asks for more than the first registration named)."""
        with self._lock:
            client = self._t.clients.get(client_id)
        if client is None:
            return None
        return client.model_copy(update={"scope": " ".join(self.all_scopes)})

    def preregister(self, client_info: OAuthClientInformationFull) -> None:
        """Register a client from the configuration (before any request)."""
        with self._lock:
            self._t.clients[str(client_info.client_id)] = client_info

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        if client_info.client_id is None:
            raise ValueError("client_id is required")
        with self._lock:
            self._t.clients[client_info.client_id] = client_info

    # -- authorization endpoint --------------------------------------------------------

    def resource_for(self, url: str | None) -> ProtectedResource | None:
        for resource in self.resources.values():
            if url is not None and _same_resource(resource.url, url):
                return resource
        return None

    async def authorize(
        self, client: OAuthClientInformationFull, params: AuthorizationParams
    ) -> str:
        """Park the request and send the browser to the sign-in / consent page."""
        resource = self.resource_for(params.resource)
        if resource is None:
            raise AuthorizeError(
                "invalid_target", "'resource' must name an MCP server of this authorization server"
            )
        scopes = list(params.scopes) if params.scopes else list(resource.scopes)
        unknown = [s for s in scopes if s not in resource.scopes_supported]
        if unknown:
            raise AuthorizeError("invalid_scope", f"unknown scope(s) for this resource: {unknown}")
        request_id = secrets.token_urlsafe(24)
        shown = "".join(ch for ch in client.client_name or "" if ch.isprintable()).strip()
        name = shown[:80] or "An application"  # registered by anyone: shown, never trusted
        with self._lock:
            self._prune()
            self._t.pending[request_id] = Pending(
                client_id=str(client.client_id),
                client_name=name,
                params=params,
                resource=resource,
                scopes=scopes,
                expires_at=time.time() + self.request_ttl,
            )
        return f"{self.issuer}/as/consent?request={request_id}"

    def _prune(self) -> None:
        now = time.time()
        for key in [k for k, p in self._t.pending.items() if p.expires_at < now]:
            del self._t.pending[key]
        for key in [k for k, c in self._t.codes.items() if c.expires_at < now]:
            del self._t.codes[key]
        while len(self._t.pending) >= _MAX_PENDING:
            del self._t.pending[next(iter(self._t.pending))]

    def pending(self, request_id: str) -> Pending | None:
        with self._lock:
            found = self._t.pending.get(request_id)
        if found is None or found.expires_at < time.time():
            return None
        return found

    def take_pending(self, request_id: str, session: str) -> Pending | None:
        """Consume a request, only for the session that was shown its consent page."""
        with self._lock:
            found = self._t.pending.get(request_id)
            if found is None or found.session != session or found.expires_at < time.time():
                return None
            del self._t.pending[request_id]
        return found

    def approve(self, pending: Pending, subject: str) -> str:
        """A single-use code for ``subject`` (the signed-in user), valid one minute."""
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._t.codes[code] = AuthorizationCode(
                code=code,
                scopes=pending.scopes,
                expires_at=time.time() + 60,
                client_id=pending.client_id,
                code_challenge=pending.params.code_challenge,
                redirect_uri=pending.params.redirect_uri,
                redirect_uri_provided_explicitly=pending.params.redirect_uri_provided_explicitly,
                resource=pending.resource.url,
                subject=subject,
            )
        return code

    # -- token endpoint ----------------------------------------------------------------

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> AuthorizationCode | None:
        with self._lock:
            replayed = self._t.used_codes.get(authorization_code)
            if replayed is not None:
                # RFC 6749 §4.1.2: a code used twice revokes what it issued.
                self._drop_grant(replayed)
                return None
            code = self._t.codes.get(authorization_code)
        if code is None or code.client_id != client.client_id:
            return None
        return code

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        with self._lock:
            if self._t.codes.pop(authorization_code.code, None) is None:
                raise TokenError("invalid_grant", "authorization code already used")
            grant = _Grant(
                grant_id=secrets.token_hex(8),
                subject=str(authorization_code.subject),
                client_id=authorization_code.client_id,
                resource=str(authorization_code.resource),
                scopes=list(authorization_code.scopes),
            )
            self._t.grants[grant.grant_id] = grant
            _remember(self._t.used_codes, authorization_code.code, grant.grant_id)
            return self._issue(grant)

    async def load_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: str
    ) -> RefreshToken | None:
        with self._lock:
            reused = self._t.rotated.get(refresh_token)
            if reused is not None:
                # A rotated-out refresh token came back: someone kept a copy.
                self._drop_grant(reused)
                return None
            token = self._t.refresh.get(refresh_token)
        if token is None or token.client_id != client.client_id:
            return None
        return token

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        with self._lock:
            grant = self._grant_of_refresh(refresh_token.token)
            if grant is None:
                raise TokenError("invalid_grant", "refresh token is no longer valid")
            _remember(self._t.rotated, refresh_token.token, grant.grant_id)
            grant.scopes = list(scopes)
            return self._issue(grant)

    def _grant_of_refresh(self, token: str) -> _Grant | None:
        for grant in self._t.grants.values():
            if grant.refresh == token:
                return grant
        return None

    def _issue(self, grant: _Grant) -> OAuthToken:
        """Rotate ``grant`` to a fresh access/refresh pair (call with the lock held)."""
        self._t.access.pop(grant.access, None)
        self._t.refresh.pop(grant.refresh, None)
        self._serial += 1
        grant.serial = self._serial
        grant.access, grant.refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self._t.access[grant.access] = AccessToken(
            token=grant.access,
            client_id=grant.client_id,
            scopes=grant.scopes,
            resource=grant.resource,
            expires_at=int(time.time() + self.access_token_ttl),
            subject=grant.subject,
            claims={"iss": self.issuer, "token_id": f"as-{grant.serial}", "grant": grant.grant_id},
        )
        self._t.refresh[grant.refresh] = RefreshToken(
            token=grant.refresh,
            client_id=grant.client_id,
            scopes=grant.scopes,
            resource=grant.resource,
            subject=grant.subject,
        )
        return OAuthToken(
            access_token=grant.access,
            token_type="Bearer",  # noqa: S106 (a token type, not a secret)
            expires_in=int(self.access_token_ttl),
            refresh_token=grant.refresh,
            scope=" ".join(grant.scopes),
        )

    async def load_access_token(self, token: str) -> AccessToken | None:
        with self._lock:
            found = self._t.access.get(token)
        if found is None or (found.expires_at is not None and found.expires_at <= time.time()):
            return None
        return found

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        """RFC 7009: revoking either token of a grant revokes both."""
        with self._lock:
            for grant in list(self._t.grants.values()):
                if token.token in (grant.access, grant.refresh):
                    self._drop_grant(grant.grant_id)

    def _drop_grant(self, grant_id: str) -> None:
        grant = self._t.grants.pop(grant_id, None)
        if grant is not None:
            self._t.access.pop(grant.access, None)
            self._t.refresh.pop(grant.refresh, None)

    # -- resource-server side and test helpers ----------------------------------------

    def introspect(self, token: str, resource_url: str) -> TokenInfo | None:
        """The user of a live access token issued for ``resource_url``, else None."""
        with self._lock:
            found = self._t.access.get(token)
        if found is None or found.resource is None or found.expires_at is None:
            return None
        if found.expires_at <= time.time() or not _same_resource(found.resource, resource_url):
            return None
        claims = found.claims or {}
        return TokenInfo(
            str(found.subject),
            found.client_id,
            tuple(found.scopes),
            str(claims.get("token_id", "")),
            float(found.expires_at),
        )

    def _grants_for(self, subject: str, resource_url: str) -> list[_Grant]:
        return [
            g
            for g in self._t.grants.values()
            if g.subject == subject and _same_resource(g.resource, resource_url)
        ]

    def expire_access_tokens(self, subject: str, resource_url: str) -> None:
        with self._lock:
            for grant in self._grants_for(subject, resource_url):
                token = self._t.access.get(grant.access)
                if token is not None:
                    self._t.access[grant.access] = token.model_copy(update={"expires_at": 0})

    def revoke_user(self, subject: str, resource_url: str) -> int:
        """Drop every grant of ``subject`` for the resource (as if revoked by the user)."""
        with self._lock:
            grants = self._grants_for(subject, resource_url)
            for grant in grants:
                self._drop_grant(grant.grant_id)
        return len(grants)

    def grants(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(user, resource URL, scopes) of every live grant. No secrets."""
        with self._lock:
            return sorted((g.subject, g.resource, tuple(g.scopes)) for g in self._t.grants.values())

    @staticmethod
    def redirect_host(params: AuthorizationParams) -> str:
        return urlsplit(str(params.redirect_uri)).netloc
