"""A small OAuth 2.0 authorization server on 127.0.0.1, for per-user OAuth upstreams.

ContextForge holds each user's OAuth token for an OAuth-configured upstream; this is
the authorization server it sends the user to. ``/authorize`` shows a consent page
(who is signing in, and an Approve button), its POST redirects back with a code,
``/token`` exchanges the code (PKCE S256 checked when a challenge was sent) for an
access token bound to that user. :meth:`MockAuthorizationServer.verify` is what the
protected upstream uses to know whose token it got.
"""

from __future__ import annotations

import html
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "contextforge-interop"
CLIENT_SECRET = "interop-client-secret"  # a test fixture's secret, not a credential

_PASSED_ON = (
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
)


@dataclass
class _Grant:
    user: str
    client_id: str
    redirect_uri: str
    challenge: str | None


@dataclass
class MockAuthorizationServer:
    """Authorization-code grant with a consent step; tokens remembered per user."""

    codes: dict[str, _Grant] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # access token -> user
    consents: list[str] = field(default_factory=list)  # users, in the order they approved

    def verify(self, token: str) -> str | None:
        """The user an access token was issued to, or None."""
        return self.tokens.get(token)

    def tokens_of(self, user: str) -> list[str]:
        return [t for t, u in self.tokens.items() if u == user]

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/authorize", self._consent_page, methods=["GET"]),
                Route("/authorize", self._approve, methods=["POST"]),
                Route("/token", self._token, methods=["POST"]),
            ]
        )

    async def _consent_page(self, request: Request) -> Response:
        params = request.query_params
        if params.get("response_type") != "code" or params.get("client_id") != CLIENT_ID:
            return JSONResponse({"error": "unsupported_response_type"}, status_code=400)
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(params[k])}">'
            for k in _PASSED_ON
            if k in params
        )
        page = (
            "<html><body><h1>Allow ContextForge to use Echo as you?</h1>"
            f'<form method="post" action="/authorize">{hidden}'
            '<label>Your name <input name="username"></label>'
            '<button name="decision" value="approve">Approve</button>'
            '<button name="decision" value="deny">Deny</button></form></body></html>'
        )
        return HTMLResponse(page)

    async def _approve(self, request: Request) -> Response:
        form = await request.form()
        redirect_uri = str(form.get("redirect_uri", ""))
        state = str(form.get("state", ""))
        if form.get("decision") != "approve" or not form.get("username"):
            query = urlencode({"error": "access_denied", "state": state})
            return RedirectResponse(f"{redirect_uri}?{query}", status_code=302)
        code = secrets.token_urlsafe(16)
        challenge = form.get("code_challenge")
        self.codes[code] = _Grant(
            user=str(form["username"]),
            client_id=str(form.get("client_id", "")),
            redirect_uri=redirect_uri,
            challenge=str(challenge) if challenge else None,
        )
        self.consents.append(str(form["username"]))
        query = urlencode({"code": code, "state": state})
        return RedirectResponse(f"{redirect_uri}?{query}", status_code=302)

    async def _token(self, request: Request) -> Response:
        form = await request.form()
        client_id, client_secret = _client_credentials(request, form)
        if client_id != CLIENT_ID or client_secret != CLIENT_SECRET:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        grant = self.codes.pop(str(form.get("code", "")), None)
        if grant is None or grant.redirect_uri != form.get("redirect_uri", grant.redirect_uri):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = form.get("code_verifier")
        if grant.challenge and create_s256_code_challenge(str(verifier or "")) != grant.challenge:
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        token = f"upstream-{grant.user}-{secrets.token_urlsafe(8)}"
        self.tokens[token] = grant.user
        return JSONResponse(
            {"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": "echo"}
        )


def _client_credentials(request: Request, form: Any) -> tuple[str, str]:
    """Client id and secret from HTTP Basic or the form body (both are allowed)."""
    import base64

    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        raw = base64.b64decode(header[6:]).decode()
        client_id, _, secret = raw.partition(":")
        return client_id, secret
    return str(form.get("client_id", "")), str(form.get("client_secret", ""))
