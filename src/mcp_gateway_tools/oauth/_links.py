"""Consent links for an app's users: what a call raises when the user has no grant.

Discovery (cached per endpoint, keeping the challenge's scope), a client for the
authorization server (reused once registered), PKCE and a single-use ``state``, and the
pending record the callback completes. One live link per (user, endpoint, scope), so
repeated calls and waits show the same link.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace

import httpx2
from mcp.client.auth.utils import get_client_metadata_scopes

from .._errors import AuthorizationRequired
from ._config import OAuth, OAuthClient
from ._discovery import Challenge, Discovered, DiscoveryCache, discover, probe
from ._exchange import PKCEParameters, authorization_link, guarded, obtain_client
from ._records import Pending, Records

__all__ = ["LinkIssuer"]

logger = logging.getLogger("mcp_gateway_tools.oauth")


class LinkIssuer:
    """Issues (or reuses) a user's consent link for a server that opted in."""

    def __init__(
        self, config: OAuthClient, records: Records, http: Callable[[], httpx2.AsyncClient]
    ) -> None:
        self._config = config
        self._records = records
        self._http = http
        self._discovered = DiscoveryCache()

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
        return await guarded(
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
        async with self._http() as http:
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
            state = await self._records.link_for(*parts)
            link = await self._records.pending_link(state) if state else None
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
        redirect = self._config.redirect_uri
        client_key = (found.issuer, redirect, self._config.client_name, oauth.client_id or "")
        client = None if oauth.client_id else await self._records.get_client(*client_key)
        if client is None:
            client = await obtain_client(http, found, oauth, self._config, server)
            if client.kind == "registered":
                await self._records.put_client(client, *client_key)
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
        await self._records.put_pending(state, pending, self._config.state_ttl)
        await self._records.remember_link(
            state, self._config.state_ttl, user, endpoint, scope or ""
        )
        return link


def _text(value: object) -> str | None:
    return None if value is None else str(value)
