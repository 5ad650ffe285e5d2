"""A built-in mock OAuth 2.0 authorization server (authorization code + PKCE + refresh).

It stands in for the mail/calendar provider's real OAuth server so the gateway can run
a genuine authorization-code flow offline. It is deliberately strict where a real
provider is (single-use codes, S256 PKCE checked with authlib's helper, exact
redirect URI, client authentication, token expiry) because the gateway's handling of
those rules is what the tests pin. The sample servers validate the access tokens it
issues through ``introspect``, in process.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from authlib.oauth2.rfc7636.challenge import (  # type: ignore[import-untyped]
    compare_s256_code_challenge,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ._pages import consent_page, message_page

__all__ = ["ClientRegistration", "MockOAuthProvider", "TokenInfo"]


@dataclass(frozen=True)
class ClientRegistration:
    client_id: str
    client_secret: str
    redirect_uri: str
    display_name: str


@dataclass(frozen=True)
class TokenInfo:
    """What a resource server learns from an access token (never the token itself)."""

    user: str
    client_id: str
    scopes: tuple[str, ...]
    token_id: str
    expires_at: float


@dataclass
class _AuthRequest:
    client: ClientRegistration
    user: str
    scopes: list[str]
    state: str
    challenge: str
    expires_at: float


@dataclass
class _Code:
    client_id: str
    user: str
    scopes: tuple[str, ...]
    challenge: str
    redirect_uri: str
    expires_at: float


@dataclass
class _State:
    requests: dict[str, _AuthRequest] = field(default_factory=dict)
    codes: dict[str, _Code] = field(default_factory=dict)
    access: dict[str, TokenInfo] = field(default_factory=dict)
    refresh: dict[str, TokenInfo] = field(default_factory=dict)


class MockOAuthProvider:
    """Serves ``/oauth/authorize`` (consent screen) and ``/oauth/token``."""

    def __init__(self, *, access_token_ttl: float = 3600.0) -> None:
        self.access_token_ttl = access_token_ttl
        self._clients: dict[str, ClientRegistration] = {}
        self._s = _State()
        self._lock = threading.Lock()
        self._counter = 0

    def register(self, client: ClientRegistration) -> None:
        self._clients[client.client_id] = client

    def routes(self) -> list[Route]:
        return [
            Route("/oauth/authorize", self._authorize_get, methods=["GET"]),
            Route("/oauth/authorize", self._authorize_post, methods=["POST"]),
            Route("/oauth/token", self._token, methods=["POST"]),
            Route("/oauth/userinfo", self._userinfo, methods=["GET"]),
        ]

    # -- resource-server side -------------------------------------------------------

    def introspect(self, access_token: str) -> TokenInfo | None:
        with self._lock:
            info = self._s.access.get(access_token)
        if info is None or info.expires_at <= time.time():
            return None
        return info

    def revoke(self, user: str, client_id: str) -> None:
        """Drop every token of ``user`` for ``client_id`` (as if revoked at the provider)."""
        with self._lock:
            for table in (self._s.access, self._s.refresh):
                for key in [
                    k for k, v in table.items() if (v.user, v.client_id) == (user, client_id)
                ]:
                    del table[key]

    def expire_access_tokens(self, user: str, client_id: str) -> None:
        with self._lock:
            for key, info in list(self._s.access.items()):
                if (info.user, info.client_id) == (user, client_id):
                    self._s.access[key] = TokenInfo(
                        info.user, info.client_id, info.scopes, info.token_id, 0.0
                    )

    async def _userinfo(self, request: Request) -> Response:
        """OIDC-style userinfo: whose token this is. The gateway's callback asks it, so
        a login made as someone else than the consent link's user is caught there."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        info = self.introspect(token.strip()) if scheme.lower() == "bearer" else None
        if info is None:
            return _oauth_error("invalid_token", 401)
        return JSONResponse({"sub": info.user, "email": info.user, "email_verified": True})

    # -- authorization endpoint ----------------------------------------------------

    async def _authorize_get(self, request: Request) -> Response:
        q = request.query_params
        client = self._clients.get(q.get("client_id", ""))
        if client is None or q.get("redirect_uri") != client.redirect_uri:
            return message_page(
                "Invalid authorization request",
                "Unknown client or redirect URI.",
                status=400,
                outcome="error",
            )
        if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256":
            return self._redirect_error(client, q.get("state", ""), "invalid_request")
        # The mock has no login form: ``login_hint`` stands for the account the person
        # signs in with. It is under the browser's control, which is why the gateway's
        # callback checks (via userinfo) whose token it finally received.
        challenge, user = q.get("code_challenge", ""), q.get("login_hint", "")
        if not challenge or not user:
            return self._redirect_error(client, q.get("state", ""), "invalid_request")
        request_id = secrets.token_urlsafe(24)
        scopes = [s for s in q.get("scope", "").split() if s]
        with self._lock:
            self._s.requests[request_id] = _AuthRequest(
                client, user, scopes, q.get("state", ""), challenge, time.time() + 600
            )
        return consent_page(
            action="/oauth/authorize",
            request_id=request_id,
            display_name=client.display_name,
            user=user,
            scopes=scopes,
        )

    async def _authorize_post(self, request: Request) -> Response:
        form = await request.form()
        request_id = str(form.get("request_id", ""))
        with self._lock:
            pending = self._s.requests.pop(request_id, None)
        if pending is None or pending.expires_at <= time.time():
            return message_page(
                "Authorization request expired",
                "This consent screen is no longer valid. Start again from your application.",
                status=400,
                outcome="expired",
            )
        if form.get("decision") != "approve":
            return self._redirect_error(pending.client, pending.state, "access_denied")
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._s.codes[code] = _Code(
                pending.client.client_id,
                pending.user,
                tuple(pending.scopes),
                pending.challenge,
                pending.client.redirect_uri,
                time.time() + 60,
            )
        query = urlencode({"code": code, "state": pending.state})
        return RedirectResponse(f"{pending.client.redirect_uri}?{query}", status_code=303)

    def _redirect_error(self, client: ClientRegistration, state: str, error: str) -> Response:
        query = urlencode({"error": error, "state": state})
        return RedirectResponse(f"{client.redirect_uri}?{query}", status_code=303)

    # -- token endpoint --------------------------------------------------------------

    async def _token(self, request: Request) -> Response:
        form = await request.form()
        client = self._authenticate_client(request, {k: str(v) for k, v in form.items()})
        if client is None:
            return _oauth_error("invalid_client", 401)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            with self._lock:
                code = self._s.codes.pop(str(form.get("code", "")), None)
            if (
                code is None
                or code.expires_at <= time.time()
                or code.client_id != client.client_id
                or code.redirect_uri != form.get("redirect_uri")
            ):
                return _oauth_error("invalid_grant", 400)
            verifier = str(form.get("code_verifier", ""))
            if not verifier or not compare_s256_code_challenge(verifier, code.challenge):
                return _oauth_error("invalid_grant", 400, "PKCE verification failed")
            return JSONResponse(self._issue(code.user, client.client_id, code.scopes))
        if grant_type == "refresh_token":
            with self._lock:
                old = self._s.refresh.pop(str(form.get("refresh_token", "")), None)
            if old is None or old.client_id != client.client_id:
                return _oauth_error("invalid_grant", 400)
            return JSONResponse(self._issue(old.user, client.client_id, old.scopes))
        return _oauth_error("unsupported_grant_type", 400)

    def _authenticate_client(
        self, request: Request, form: dict[str, str]
    ) -> ClientRegistration | None:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:]).decode()
            except ValueError:
                return None
            client_id, _, secret = decoded.partition(":")
        client = self._clients.get(client_id)
        if client is None or not secrets.compare_digest(client.client_secret, secret):
            return None
        return client

    def _issue(self, user: str, client_id: str, scopes: tuple[str, ...]) -> dict[str, object]:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._lock:
            self._counter += 1
            token_id = f"tok-{self._counter}"
            expires_at = time.time() + self.access_token_ttl
            info = TokenInfo(user, client_id, scopes, token_id, expires_at)
            self._s.access[access] = info
            self._s.refresh[refresh] = TokenInfo(user, client_id, scopes, token_id, 0.0)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(self.access_token_ttl),
            "refresh_token": refresh,
            "scope": " ".join(scopes),
        }


def _oauth_error(error: str, status: int, description: str = "") -> JSONResponse:
    body = {"error": error}
    if description:
        body["error_description"] = description
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
