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
import ssl
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TypeVar

import httpx2
from key_value.aio.protocols import AsyncKeyValue
from key_value.aio.stores.memory import MemoryStore
from mcp.client.auth.utils import union_scopes
from mcp.shared.auth_utils import check_resource_allowed, resource_url_from_server_url
from pydantic import SecretStr

from .._app_user import require_app_user
from .._errors import (
    GatewayError,
    GatewayUnavailable,
    InsufficientScope,
    InvalidToken,
    OAuthRequired,
    ResourceMismatch,
    TokenRequestFailed,
)
from .._tokens import Credential, fingerprint
from ._config import OAuth, OAuthClient
from ._discovery import Challenge
from ._exchange import guarded, revoke, token_request
from ._links import LinkIssuer
from ._records import Grant, Records

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
        self.links = LinkIssuer(config, self.records, self.http)
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
                raise await self.links.authorization_required(
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
            raise await self.links.authorization_required(
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
                token, expires = await guarded(
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
        return await self.links.authorization_required(
            user, server, endpoint, oauth, challenge=challenge, scope=scope
        )

    async def complete(self, callback: str | dict[str, str], user: str) -> Completed:
        """Exchange the callback's code for the user's grant (see :mod:`._completion`)."""
        from ._completion import complete

        return await complete(self, callback, user)

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
                    await guarded(
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
