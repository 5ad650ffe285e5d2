"""The app as each user's OAuth client, behind the Gateway's calls.

For a server that opted in, a call's credential is the current app user's grant for
the server (refreshed when near expiry). No grant: discovery, a client, and a link for
that user, raised as :class:`AuthorizationRequired` (one live link per user, resource
and scope, so repeated calls and waits show the same link). The server refusing the
token: one refresh, else a new link. ``insufficient_scope``: a link for the union of
the granted and the challenged scopes (step-up), unless those are already granted.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import ssl
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TypeVar
from urllib.parse import parse_qsl, urlsplit

import httpx2
from key_value.aio.protocols import AsyncKeyValue
from key_value.aio.stores.memory import MemoryStore
from mcp.client.auth.utils import get_client_metadata_scopes, union_scopes
from mcp.shared.auth_utils import check_resource_allowed, resource_url_from_server_url
from pydantic import SecretStr

from .._app_user import require_app_user
from .._errors import (
    AuthorizationDenied,
    AuthorizationRequired,
    GatewayError,
    GatewayUnavailable,
    InsufficientScope,
    InvalidAuthorizationState,
    InvalidToken,
    OAuthRequired,
    ResourceMismatch,
    TokenRequestFailed,
)
from .._tokens import Credential, fingerprint
from .._untrusted import sanitize
from ._config import OAuth, OAuthClient
from ._discovery import Challenge, Discovered, DiscoveryCache, discover, probe
from ._exchange import PKCEParameters, authorization_link, obtain_client, revoke, token_request
from ._records import Grant, Pending, Records

__all__ = ["Completed", "OAuthRunner"]

logger = logging.getLogger("mcp_gateway_tools.oauth")
T = TypeVar("T")
CredentialFor = Callable[[SecretStr], Awaitable[Credential]]


@dataclass(frozen=True)
class Completed:
    """A finished authorization: whose, for which server, with which scope (no tokens)."""

    user: str
    server: str
    scope: str | None


def _scopes(scope: str | None) -> set[str]:
    return set((scope or "").split())


class OAuthRunner:
    """One Gateway's OAuth client state: store, discovery cache, per-grant locks."""

    def __init__(self, config: OAuthClient, *, verify: ssl.SSLContext, timeout: float) -> None:
        self.config = config
        store: AsyncKeyValue = config.store or MemoryStore(
            max_entries_per_collection=config.max_pending
        )
        self.records = Records(store)
        self._verify = verify
        self._timeout = timeout
        self._discovered = DiscoveryCache()
        self._locks: weakref.WeakValueDictionary[tuple[int, str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def http(self) -> httpx2.AsyncClient:
        """A client for authorization servers: no redirects followed, bounded time."""
        return httpx2.AsyncClient(
            verify=self._verify, timeout=self._timeout, follow_redirects=False
        )

    def _lock(self, user: str, endpoint: str) -> asyncio.Lock:
        key = (id(asyncio.get_running_loop()), user, endpoint)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    @staticmethod
    def wait_fingerprint(user: str, endpoint: str) -> str:
        """The identity waits for this user's consent on ``endpoint`` are keyed by."""
        return fingerprint(f"app-user\x00{user}\x00{endpoint}")

    # -- the call path ----------------------------------------------------------------

    async def run(
        self,
        server: str,
        endpoint: str,
        oauth: OAuth,
        credential_for: CredentialFor,
        attempt: Callable[[Credential], Awaitable[T]],
        probe_headers: Callable[[], Awaitable[dict[str, str]]],
    ) -> T:
        """Run ``attempt`` with the app user's grant for ``server``; see the module doc."""
        user = require_app_user()
        refreshed = False
        while True:
            grant = await self._usable_grant(user, server, endpoint, force_refresh=False)
            if grant is None:
                raise await self.authorization_required(
                    user, server, endpoint, oauth, probe_headers=probe_headers
                )
            failure: GatewayError | None = None
            try:
                return await attempt(await credential_for(SecretStr(grant.access_token)))
            except InsufficientScope as exc:
                failure = exc
            except (OAuthRequired, InvalidToken) as exc:
                failure = exc
            if isinstance(failure, InsufficientScope):
                raise await self._step_up(user, server, endpoint, oauth, grant, failure)
            # The server no longer takes the token: refresh once, else a new link.
            if not refreshed and grant.refresh_token:
                refreshed = True
                if await self._usable_grant(user, server, endpoint, force_refresh=True):
                    continue
            await self.records.delete_grant(user, endpoint)
            challenge = Challenge(
                getattr(failure, "resource_metadata_url", None),
                getattr(failure, "scope", None),
                getattr(failure, "authorization_uri", None),
            )
            raise await self.authorization_required(
                user, server, endpoint, oauth, challenge=challenge, probe_headers=probe_headers
            )

    async def _usable_grant(
        self, user: str, server: str, endpoint: str, *, force_refresh: bool
    ) -> Grant | None:
        """The user's grant, refreshed (and rotated) first when near expiry."""
        grant = await self.records.get_grant(user, endpoint)
        if grant is None:
            return None
        self._check_resource(grant, server, endpoint)
        if not force_refresh and not grant.expires_within(self.config.refresh_margin):
            return grant
        async with self._lock(user, endpoint):
            current = await self.records.get_grant(user, endpoint)
            if current is None:
                return None
            if current.access_token != grant.access_token:
                return current  # a concurrent call refreshed it already
            if not current.refresh_token:
                return None if current.expires_within(0) else current
            return await self._refresh(current, server)

    def _check_resource(self, grant: Grant, server: str, endpoint: str) -> None:
        """A token goes only to the resource it was issued for."""
        wanted = resource_url_from_server_url(endpoint)
        if not check_resource_allowed(
            requested_resource=wanted, configured_resource=grant.resource
        ):
            raise ResourceMismatch(
                f"{server!r}: the stored grant was issued for another resource; it is not sent.",
                error="resource_mismatch",
                server=server,
            )

    async def _refresh(self, grant: Grant, server: str) -> Grant | None:
        """A refreshed grant (the new refresh token replaces the old), or None if refused."""
        assert grant.refresh_token is not None
        form = {
            "grant_type": "refresh_token",
            "refresh_token": grant.refresh_token,
            "resource": grant.resource,
        }
        failed: TokenRequestFailed | None = None
        async with self.http() as http:
            try:
                token, expires = await self._guarded(
                    server,
                    token_request(
                        http,
                        grant.token_endpoint,
                        grant.client,
                        form,
                        server=server,
                        what="refresh",
                    ),
                )
            except TokenRequestFailed as exc:
                failed = exc
        if failed is not None:
            logger.info("refresh refused server=%s error=%s", server, failed.error)
            await self.records.delete_grant(grant.user, grant.endpoint)
            return None
        fresh = replace(
            grant,
            access_token=token.access_token,
            refresh_token=token.refresh_token or grant.refresh_token,
            expires_at=expires,
            scope=token.scope or grant.scope,
        )
        await self.records.put_grant(fresh)
        logger.debug("token refreshed server=%s", server)
        return fresh

    async def _step_up(
        self,
        user: str,
        server: str,
        endpoint: str,
        oauth: OAuth,
        grant: Grant,
        refusal: InsufficientScope,
    ) -> GatewayError:
        """A link for the larger scope, or the refusal itself when asking cannot help."""
        wanted = _scopes(refusal.scope)
        if not wanted or wanted <= _scopes(grant.scope):
            return refusal  # already granted and still refused: no authorization loop
        scope = union_scopes(grant.scope, refusal.scope)
        challenge = Challenge(refusal.resource_metadata_url, refusal.scope)
        return await self.authorization_required(
            user, server, endpoint, oauth, challenge=challenge, scope=scope
        )

    # -- links ------------------------------------------------------------------------

    async def _discovered_for(
        self,
        http: httpx2.AsyncClient,
        server: str,
        endpoint: str,
        challenge: Challenge | None,
        probe_headers: Callable[[], Awaitable[dict[str, str]]] | None,
    ) -> tuple[Discovered, Challenge]:
        if challenge is None:
            cached = self._discovered.get(endpoint)
            if cached is not None:
                # Keep the challenge's scope: a later link asks for what the server asked.
                return cached, Challenge(None, cached.challenge_scope)
            headers = await probe_headers() if probe_headers is not None else {}
            challenge = await probe(http, endpoint, headers)
        found = await discover(http, endpoint, challenge, server)
        found = replace(found, challenge_scope=challenge.scope)
        self._discovered.put(endpoint, found)
        return found, challenge

    async def _guarded(self, server: str, work: Awaitable[T]) -> T:
        """``work``, with a network failure raised as GatewayUnavailable (not chained:
        the HTTP client's frames hold codes, verifiers and tokens)."""
        failed: str | None = None
        try:
            return await work
        except httpx2.HTTPError as exc:
            failed = type(exc).__name__
        raise GatewayUnavailable(
            f"{server!r}: its authorization server could not be reached ({failed}).",
            server=server,
        )

    async def authorization_required(
        self,
        user: str,
        server: str,
        endpoint: str,
        oauth: OAuth,
        *,
        challenge: Challenge | None = None,
        scope: str | None = None,
        probe_headers: Callable[[], Awaitable[dict[str, str]]] | None = None,
    ) -> AuthorizationRequired:
        """The consent link for ``user`` on ``server`` (reused while it is live)."""
        return await self._guarded(
            server,
            self._authorization_required(
                user, server, endpoint, oauth, challenge, scope, probe_headers
            ),
        )

    async def _authorization_required(
        self,
        user: str,
        server: str,
        endpoint: str,
        oauth: OAuth,
        challenge: Challenge | None,
        scope: str | None,
        probe_headers: Callable[[], Awaitable[dict[str, str]]] | None,
    ) -> AuthorizationRequired:
        async with self.http() as http:
            found, challenge = await self._discovered_for(
                http, server, endpoint, challenge, probe_headers
            )
            if scope is None:
                scope = oauth.scope or get_client_metadata_scopes(
                    challenge.scope,
                    found.protected,
                    found.metadata,
                    ["authorization_code", "refresh_token"],
                )
            parts = (user, endpoint, scope or "")
            state = await self.records.link_for(*parts)
            link = await self.records.pending_link(state) if state else None
            if link is None:
                link = await self._new_link(http, user, server, endpoint, oauth, found, scope)
        logger.info("oauth authorization required server=%s", server)
        return AuthorizationRequired(
            f"{server} needs the user's authorization (OAuth, run by this app).",
            authorization_urls={server: link},
            server_names={server: server},
            server=server,
            status=401,
            origin=endpoint,
        )

    async def _new_link(
        self,
        http: httpx2.AsyncClient,
        user: str,
        server: str,
        endpoint: str,
        oauth: OAuth,
        found: Discovered,
        scope: str | None,
    ) -> str:
        redirect = self.config.redirect_uri
        client_key = (found.issuer, redirect, self.config.client_name, oauth.client_id or "")
        client = None if oauth.client_id else await self.records.get_client(*client_key)
        if client is None:
            client = await obtain_client(http, found, oauth, self.config, server)
            if client.kind == "registered":
                await self.records.put_client(client, *client_key)
        state = secrets.token_urlsafe(32)
        pkce = PKCEParameters.generate()
        link = authorization_link(
            found, client, redirect_uri=redirect, state=state, pkce=pkce, scope=scope
        )
        pending = Pending(
            user=user,
            server=server,
            endpoint=endpoint,
            resource=found.resource,
            issuer=found.issuer,
            token_endpoint=str(found.metadata.token_endpoint),
            scope=scope,
            redirect_uri=redirect,
            link=link,
            client=client,
            verifier=pkce.code_verifier,
            iss_required=bool(found.metadata.authorization_response_iss_parameter_supported),
            revocation_endpoint=_text(found.metadata.revocation_endpoint),
        )
        await self.records.put_pending(state, pending, self.config.state_ttl)
        await self.records.remember_link(state, self.config.state_ttl, user, endpoint, scope or "")
        return link

    # -- the callback -----------------------------------------------------------------

    async def complete(self, callback: str | dict[str, str], user: str) -> Completed:
        """Exchange the callback's code for the user's grant; see Gateway.complete_authorization."""
        params = _callback_params(callback)
        state = params.get("state")
        pending = await self.records.take_pending(state) if state else None
        if pending is None:
            raise InvalidAuthorizationState(
                "This authorization callback is not valid: its state is unknown, expired or "
                "already used. Start again from the tool call.",
                error="invalid_state",
            )
        if pending.user != user:
            logger.warning("oauth callback for another user refused server=%s", pending.server)
            raise InvalidAuthorizationState(
                "This authorization callback was issued for another user; it was refused "
                "(and the link is no longer valid).",
                error="state_user_mismatch",
                server=pending.server,
            )
        if "error" in params:
            error = sanitize(params["error"], (), limit=64) or "error"
            description = sanitize(params.get("error_description"), (), limit=300) or None
            raise AuthorizationDenied(
                f"{pending.server}: the authorization server did not authorize: {error}"
                + (f" ({description})." if description else "."),
                error=error,
                description=description,
                server=pending.server,
            )
        iss = params.get("iss")
        if (iss is not None and iss.rstrip("/") != pending.issuer.rstrip("/")) or (
            iss is None and pending.iss_required
        ):
            raise InvalidAuthorizationState(
                f"{pending.server}: the callback names another authorization server (iss).",
                error="iss_mismatch",
                server=pending.server,
            )
        code = params.get("code")
        if not code:
            raise InvalidAuthorizationState(
                f"{pending.server}: the callback carries no authorization code.",
                error="invalid_request",
                server=pending.server,
            )
        return await self._exchange(pending, code)

    async def _exchange(self, pending: Pending, code: str) -> Completed:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": pending.redirect_uri,
            "code_verifier": pending.verifier,
            "resource": pending.resource,
        }
        async with self.http() as http:
            token, expires = await self._guarded(
                pending.server,
                token_request(
                    http,
                    pending.token_endpoint,
                    pending.client,
                    form,
                    server=pending.server,
                    what="authorization code exchange",
                ),
            )
        grant = Grant(
            user=pending.user,
            endpoint=pending.endpoint,
            resource=pending.resource,
            issuer=pending.issuer,
            token_endpoint=pending.token_endpoint,
            client=pending.client,
            access_token=token.access_token,
            refresh_token=token.refresh_token,
            expires_at=expires,
            scope=token.scope or pending.scope,
            revocation_endpoint=pending.revocation_endpoint,
        )
        await self.records.put_grant(grant)
        logger.info("oauth authorization completed server=%s", pending.server)
        return Completed(pending.user, pending.server, grant.scope)

    async def disconnect(self, server: str, endpoint: str, user: str) -> bool:
        """Revoke the user's grant where the server supports it (RFC 7009), and delete it."""
        grant = await self.records.get_grant(user, endpoint)
        if grant is None:
            return False
        await self.records.delete_grant(user, endpoint)
        if grant.revocation_endpoint:
            tokens = [(grant.access_token, "access_token")]
            if grant.refresh_token:
                tokens.insert(0, (grant.refresh_token, "refresh_token"))
            unreachable: GatewayUnavailable | None = None
            async with self.http() as http:
                try:
                    await self._guarded(
                        server, revoke(http, grant.revocation_endpoint, grant.client, tokens)
                    )
                except GatewayUnavailable as exc:
                    unreachable = exc  # deleted here all the same; the server may still hold it
            if unreachable is not None:
                logger.warning("oauth revocation failed server=%s: %s", server, unreachable)
        logger.info(
            "oauth grant removed server=%s revoked=%s", server, bool(grant.revocation_endpoint)
        )
        return True

    async def access_fingerprint(self, user: str, endpoint: str) -> str | None:
        """The fingerprint of the user's current access token (to close its sessions)."""
        grant = await self.records.get_grant(user, endpoint)
        return fingerprint(grant.access_token) if grant is not None else None


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _callback_params(callback: str | dict[str, str]) -> dict[str, str]:
    """The callback's query parameters, from its URL or as given."""
    if isinstance(callback, str):
        query = urlsplit(callback).query if "?" in callback or "://" in callback else callback
        return dict(parse_qsl(query, keep_blank_values=True))
    return {str(k): str(v) for k, v in dict(callback).items()}
