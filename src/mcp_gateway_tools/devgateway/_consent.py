"""The gateway's side of per-user OAuth: consent links, the code exchange, refresh.

A consent link is a single-use ticket bound to one user and one server, valid for a
configured time. Opening it starts an authorization-code + PKCE flow (authlib builds
the request and performs the token exchange and refresh); the provider redirects
back to ``/oauth/callback`` and only a successful exchange stores a grant. Deny,
expired, replayed or foreign links end on a clear page with nothing stored.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from dataclasses import dataclass

import httpx2
from authlib.common.security import generate_token  # type: ignore[import-untyped]
from authlib.integrations.base_client.errors import (  # type: ignore[import-untyped]
    OAuthError,
)
from authlib.integrations.httpx_client import (  # type: ignore[import-untyped]
    AsyncOAuth2Client,
)
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ._auth import Authenticator, AuthError, Principal
from ._pages import message_page
from ._servers import tls_context
from ._store import Grant, GrantStore

__all__ = ["ConsentManager", "OAuthTarget", "ProviderUnavailableError"]

log = logging.getLogger("mcp_gateway_tools.devgateway")


class ProviderUnavailableError(Exception):
    """The OAuth provider of ``server`` could not be reached to refresh a token."""

    def __init__(self, server: str) -> None:
        super().__init__(server)
        self.server = server


@dataclass(frozen=True)
class OAuthTarget:
    """Everything the gateway needs to run OAuth for one per-user server."""

    server: str
    display_name: str
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    userinfo_url: str | None = None  # whose token a login produced (None: not checked)


@dataclass(frozen=True)
class _Ticket:
    principal: Principal
    server: str
    expires_at: float


@dataclass(frozen=True)
class _Flow:
    ticket: _Ticket
    verifier: str
    expires_at: float


class ConsentManager:
    """Issues consent links, completes flows, and hands out fresh access tokens."""

    def __init__(
        self,
        *,
        store: GrantStore,
        targets: dict[str, OAuthTarget],
        authenticator: Authenticator,
        base_url: str,
        link_ttl: float,
    ) -> None:
        self.store = store
        self.targets = targets
        self._auth = authenticator
        self.base_url = base_url.rstrip("/")
        self.redirect_uri = f"{self.base_url}/oauth/callback"
        self.link_ttl = link_ttl
        self._tickets: dict[str, _Ticket] = {}
        self._used: dict[str, float] = {}
        self._lock = threading.Lock()
        self._flows: dict[str, _Flow] = {}
        self._refresh_locks: dict[tuple[str, str], asyncio.Lock] = {}

    def routes(self) -> list[Route]:
        return [
            Route("/consent/{ticket}", self._open_link, methods=["GET"]),
            Route("/oauth/callback", self._callback, methods=["GET"]),
        ]

    def authorization_url(self, principal: Principal, server: str) -> str:
        """A fresh single-use consent link for this user and server."""
        ticket = secrets.token_urlsafe(24)
        with self._lock:
            self._prune()
            self._tickets[ticket] = _Ticket(principal, server, time.time() + self.link_ttl)
        return f"{self.base_url}/consent/{ticket}"

    def _prune(self) -> None:
        """Forget long-dead tickets and flows (keeping 'used' markers for an hour)."""
        now = time.time()
        horizon = now - max(self.link_ttl, 3600.0)
        for key in [k for k, t in self._tickets.items() if t.expires_at < horizon]:
            del self._tickets[key]
        for key in [k for k, when in self._used.items() if when < horizon]:
            del self._used[key]
        for key in [k for k, f in self._flows.items() if f.expires_at < now]:
            del self._flows[key]

    def _claim(self, key: str, viewer: Principal | None, checked: bool) -> _Ticket | str:
        """Consume a ticket, or say why not; atomic, as the runner may call from a thread."""
        with self._lock:
            if key in self._used:
                return "used"
            ticket = self._tickets.get(key)
            if ticket is None:
                return "unknown"
            if ticket.expires_at < time.time():
                return "expired"
            if checked and (viewer is None or viewer.identity != ticket.principal.identity):
                return "wrong-user"
            del self._tickets[key]
            self._used[key] = time.time()
            return ticket

    def _client(self, target: OAuthTarget) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=target.client_id,
            client_secret=target.client_secret,
            scope=" ".join(target.scopes),
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            timeout=10.0,
            verify=tls_context(),  # shared: building a TLS context per flow blocks the loop
        )

    async def _open_link(self, request: Request) -> Response:
        # A browser carries no gateway token, so the link itself is the capability. A
        # client that does present one (like the consent helper) must be the link's user.
        header = request.headers.get("authorization")
        viewer: Principal | None = None
        if header:
            try:
                viewer = await self._auth.authenticate(header)
            except AuthError:
                viewer = None
        claimed = self._claim(request.path_params["ticket"], viewer, bool(header))
        if isinstance(claimed, str):
            return _refusal(claimed)
        ticket = claimed
        target = self.targets[ticket.server]
        verifier = generate_token(64)
        state = secrets.token_urlsafe(24)
        with self._lock:
            self._flows[state] = _Flow(ticket, verifier, time.time() + self.link_ttl)
        async with self._client(target) as client:
            url, _ = client.create_authorization_url(
                target.authorize_url,
                state=state,
                code_verifier=verifier,
                login_hint=ticket.principal.identity,
            )
        return RedirectResponse(url, status_code=302)

    async def _callback(self, request: Request) -> Response:
        q = request.query_params
        with self._lock:
            flow = self._flows.pop(q.get("state", ""), None)
        if flow is None or flow.expires_at < time.time():
            return message_page(
                "Authorization not recognised",
                "This authorization response is unknown, expired or already used. Nothing "
                "was stored.",
                status=400,
                outcome="invalid",
            )
        target = self.targets[flow.ticket.server]
        who = flow.ticket.principal.identity
        if q.get("error") or not q.get("code"):
            log.info("consent denied for %s on %s", flow.ticket.principal.label, target.server)
            return message_page(
                "Access not granted",
                f"You declined access to {target.display_name} for {who}. Nothing was stored.",
                status=200,
                outcome="denied",
            )
        try:
            async with self._client(target) as client:
                token = await client.fetch_token(
                    target.token_url,
                    grant_type="authorization_code",
                    code=q["code"],
                    code_verifier=flow.verifier,
                )
        except (OAuthError, httpx2.HTTPError, ValueError) as exc:
            log.warning("token exchange failed for %s: %s", target.server, type(exc).__name__)
            return message_page(
                "Authorization failed",
                f"The {target.display_name} provider refused the authorization. Nothing was "
                "stored.",
                status=502,
                outcome="failed",
            )
        owner = await self._token_owner(target, str(token.get("access_token", "")))
        if target.userinfo_url is not None and owner is None:
            return message_page(
                "Authorization failed",
                f"Could not confirm whose {target.display_name} login this is. Nothing was stored.",
                status=502,
                outcome="failed",
            )
        if target.userinfo_url is not None and owner != who.lower():
            # The person logged in at the provider as someone else than the link's user
            # (e.g. an edited login_hint): storing it would give this user that inbox.
            log.warning("consent for %s on %s: token of another account refused",
                        flow.ticket.principal.label, target.server)  # fmt: skip
            return message_page(
                "Signed in as another account",
                f"The {target.display_name} login belongs to a different account than "
                f"{who}, for whom this link was issued. Nothing was stored.",
                status=403,
                outcome="wrong-account",
            )
        self.store.put(self._grant(who, target, dict(token)))
        log.info("stored grant for %s on %s", flow.ticket.principal.label, target.server)
        return message_page(
            f"{target.display_name} connected",
            f"{target.display_name} is now connected for {who}. You can close this window "
            "and retry in your application.",
            outcome="granted",
        )

    async def _token_owner(self, target: OAuthTarget, access_token: str) -> str | None:
        """The account an access token belongs to, per the provider's userinfo (lowercased
        ``email``, else ``sub``); None when it cannot tell (then nothing is stored)."""
        if target.userinfo_url is None:
            return None
        try:
            async with httpx2.AsyncClient(timeout=10.0, verify=tls_context()) as http:
                resp = await http.get(
                    target.userinfo_url, headers={"Authorization": f"Bearer {access_token}"}
                )
            info = resp.json() if resp.status_code == 200 else {}
        except (httpx2.HTTPError, ValueError):
            return None
        if not isinstance(info, dict):
            return None
        owner = info.get("email") if info.get("email_verified") is True else None
        owner = owner if isinstance(owner, str) else info.get("sub")
        return owner.lower() if isinstance(owner, str) else None

    @staticmethod
    def _grant(user: str, target: OAuthTarget, token: dict[str, object]) -> Grant:
        expires_in = token.get("expires_in")
        expires_at = token.get("expires_at")
        if isinstance(expires_at, int | float):
            when = float(expires_at)
        else:
            when = time.time() + (
                float(expires_in) if isinstance(expires_in, int | float) else 3600
            )
        refresh = token.get("refresh_token")
        return Grant(
            user=user,
            server=target.server,
            access_token=str(token["access_token"]),
            refresh_token=str(refresh) if refresh else None,
            expires_at=when,
            scope=str(token.get("scope") or " ".join(target.scopes)),
        )

    async def grant_for(self, principal: Principal, server: str) -> Grant | None:
        """The user's usable grant, refreshed when expired; None means consent needed."""
        grant = self.store.get(principal.identity, server)
        if grant is None or not grant.expired():
            return grant
        # One refresh at a time per grant: the provider rotates refresh tokens, so a
        # second concurrent refresh would fail and wrongly drop the grant.
        lock = self._refresh_locks.setdefault((principal.identity, server), asyncio.Lock())
        async with lock:
            return await self._refresh(principal, server)

    async def _refresh(self, principal: Principal, server: str) -> Grant | None:
        grant = self.store.get(principal.identity, server)
        if grant is None or not grant.expired():
            return grant
        target = self.targets[server]
        if grant.refresh_token is None:
            self.store.delete(principal.identity, server)
            return None
        try:
            async with self._client(target) as client:
                token = await client.refresh_token(
                    target.token_url, refresh_token=grant.refresh_token
                )
        except httpx2.TransportError:
            # An unreachable provider says nothing about the grant: keep it, answer 502.
            raise ProviderUnavailableError(server) from None
        except (OAuthError, httpx2.HTTPError, ValueError) as exc:
            log.info("refresh failed for %s on %s: %s", principal.label, server, type(exc).__name__)
            self.store.delete(principal.identity, server)
            return None
        fresh = self._grant(principal.identity, target, dict(token))
        self.store.put(fresh)
        log.info("refreshed grant for %s on %s", principal.label, server)
        return fresh


_REFUSALS = {
    "used": (
        "Link already used",
        "This authorization link was already used. Retry the call in your application to "
        "get a new link. Nothing was changed.",
        410,
    ),
    "unknown": ("Unknown link", "This authorization link is not valid. Nothing was changed.", 404),
    "expired": (
        "Link expired",
        "This authorization link has expired. Retry the call in your application to get a "
        "new link. Nothing was changed.",
        410,
    ),
    "wrong-user": (
        "Link issued for another user",
        "This authorization link was issued for a different user. Nothing was changed.",
        403,
    ),
}


def _refusal(outcome: str) -> Response:
    title, message, status = _REFUSALS[outcome]
    return message_page(title, message, status=status, outcome=outcome)
