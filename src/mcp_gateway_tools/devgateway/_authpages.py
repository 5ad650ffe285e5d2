"""The authorization server's browser pages: sign in, consent, sign out.

The user who consents is the one who signed in here with a credential the dev gateway
knows (a personal access token or an IdP JWT), held in a session cookie that only
``/as`` pages receive (``HttpOnly``, ``SameSite=Lax``, so neither the app's callback nor
a script sees it). A consent form is bound to the session it was shown to, and its
request is single-use. Pages carry the anti-framing headers of every dev gateway page.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass

from mcp.server.auth.provider import construct_redirect_uri
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ._auth import Authenticator, AuthError, Principal
from ._authserver import DevAuthorizationServer, Pending
from ._pages import PAGE_HEADERS, consent_page, login_page, message_page

__all__ = ["SESSION_COOKIE", "AuthPages"]

log = logging.getLogger("mcp_gateway_tools.devgateway")
SESSION_COOKIE = "devgw_as_session"
_SESSION_TTL = 3600.0
_MAX_SESSIONS = 1000


@dataclass(frozen=True)
class _Session:
    principal: Principal
    expires_at: float


class AuthPages:
    """Routes ``/as/consent``, ``/as/login`` and ``/as/logout`` of the server."""

    def __init__(self, server: DevAuthorizationServer, authenticator: Authenticator) -> None:
        self.server = server
        self._auth = authenticator
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        return [
            Route("/as/consent", self._consent_get, methods=["GET"]),
            Route("/as/consent", self._consent_post, methods=["POST"]),
            Route("/as/login", self._login, methods=["POST"]),
            Route("/as/logout", self._logout, methods=["POST"]),
        ]

    # -- sessions --------------------------------------------------------------------

    def _session(self, request: Request) -> tuple[str, Principal] | None:
        key = request.cookies.get(SESSION_COOKIE, "")
        with self._lock:
            found = self._sessions.get(key)
        if found is None or found.expires_at < time.time():
            return None
        return key, found.principal

    def _new_session(self, principal: Principal) -> str:
        key = secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            for old in [k for k, s in self._sessions.items() if s.expires_at < now]:
                del self._sessions[old]
            while len(self._sessions) >= _MAX_SESSIONS:
                del self._sessions[next(iter(self._sessions))]
            self._sessions[key] = _Session(principal, now + _SESSION_TTL)
        return key

    # -- pages -----------------------------------------------------------------------

    async def _consent_get(self, request: Request) -> Response:
        request_id = request.query_params.get("request", "")
        pending = self.server.pending(request_id)
        if pending is None:
            return _expired()
        session = self._session(request)
        if session is None:
            return _login(pending, request_id)
        key, principal = session
        if not pending.resource.allows(principal.name, principal.identity):
            return _redirect_error(pending, "access_denied")
        pending.session = key  # the only session that may answer this form
        returning = self.server.redirect_host(pending.params)
        page = consent_page(
            action="/as/consent",
            request_id=request_id,
            display_name=pending.resource.display_name,
            user=principal.identity,
            scopes=pending.scopes,
            requester=f"{pending.client_name} (returning to {returning})",
        )
        return _posting(page)

    async def _login(self, request: Request) -> Response:
        if not _same_origin(request):
            return _cross_site()
        form = await request.form()
        request_id = str(form.get("request_id", ""))
        pending = self.server.pending(request_id)
        if pending is None:
            return _expired()
        password = str(form.get("password", "")).strip()
        try:
            principal = await self._auth.authenticate(f"Bearer {password}")
        except AuthError:
            return _login(pending, request_id, error="Unknown access token. Nothing was signed in.")
        if principal.kind != "user":
            msg = "A virtual account cannot consent; sign in as a user."
            return _login(pending, request_id, error=msg)
        key = self._new_session(principal)
        log.info("authorization server: %s signed in", principal.label)
        resp = RedirectResponse(f"/as/consent?request={request_id}", status_code=303)
        resp.set_cookie(
            SESSION_COOKIE, key, max_age=int(_SESSION_TTL), path="/as", httponly=True,
            samesite="lax",
        )  # fmt: skip
        return resp

    async def _consent_post(self, request: Request) -> Response:
        if not _same_origin(request):
            return _cross_site()
        form = await request.form()
        session = self._session(request)
        if session is None:
            return _expired()
        key, principal = session
        pending = self.server.take_pending(str(form.get("request_id", "")), key)
        if pending is None:
            return _expired()
        if form.get("decision") != "approve":
            log.info("authorization server: %s declined", principal.label)
            return _redirect_error(pending, "access_denied")
        code = self.server.approve(pending, principal.identity)
        log.info("authorization server: %s approved %s", principal.label, pending.resource.server)
        target = construct_redirect_uri(
            str(pending.params.redirect_uri), code=code, state=pending.params.state
        )
        return RedirectResponse(target, status_code=303, headers=PAGE_HEADERS)

    async def _logout(self, request: Request) -> Response:
        key = request.cookies.get(SESSION_COOKIE, "")
        with self._lock:
            self._sessions.pop(key, None)
        resp = message_page("Signed out", "You are signed out.", outcome="signed-out")
        resp.delete_cookie(SESSION_COOKIE, path="/as")
        return resp


def _same_origin(request: Request) -> bool:
    """A form post from this server's own pages (browsers send ``Origin`` on POST): a
    page elsewhere must not sign a browser in as someone else (login CSRF)."""
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not a browser form post (a browser always sends Origin on POST)
    return origin == f"{request.url.scheme}://{request.url.netloc}"


def _cross_site() -> Response:
    return message_page(
        "Refused",
        "This form was submitted from another site. Nothing was changed.",
        status=403,
        outcome="cross-site",
    )


def _posting(page: Response) -> Response:
    """A page with a form: ``same-origin`` referrer policy, so the browser's post says
    where it came from (with ``no-referrer`` Chromium sends ``Origin: null``)."""
    page.headers["Referrer-Policy"] = "same-origin"
    return page


def _login(pending: Pending, request_id: str, *, error: str = "") -> Response:
    return _posting(
        login_page(
            action="/as/login",
            request_id=request_id,
            display_name=pending.resource.display_name,
            error=error,
        )
    )


def _expired() -> Response:
    return message_page(
        "Authorization request expired",
        "This authorization request is unknown, expired or already answered. Start again "
        "from your application.",
        status=400,
        outcome="expired",
    )


def _redirect_error(pending: Pending, error: str) -> Response:
    target = construct_redirect_uri(
        str(pending.params.redirect_uri), error=error, state=pending.params.state
    )
    return RedirectResponse(target, status_code=303, headers=PAGE_HEADERS)
