"""The callback route: where the authorization server sends the user back.

Mount it in any ASGI app (Starlette, FastAPI, anything that mounts an ASGI app) at the
path of ``OAuthClient(redirect_uri=...)``. ``user_of(request)`` tells who is signed in
to the app in that browser (from the app's own session); a callback whose ``state``
was issued for someone else is refused. The page says only what happened: no code,
no token, no state is ever echoed.
"""

from __future__ import annotations

import html
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .._errors import GatewayError

if TYPE_CHECKING:
    from .._gateway import Gateway

__all__ = ["UserOf", "callback_app", "callback_route"]

logger = logging.getLogger("mcp_gateway_tools.oauth")

UserOf = Callable[[Request], str | Awaitable[str | None] | None]
"""Who is signed in to the app for this request (None: nobody)."""

_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
    "<body><h1>{title}</h1><p>{text}</p></body></html>"
)


def _page(title: str, text: str, status: int) -> HTMLResponse:
    return HTMLResponse(
        _PAGE.format(title=html.escape(title), text=html.escape(text)),
        status_code=status,
        headers={"cache-control": "no-store", "referrer-policy": "no-referrer"},
    )


def callback_app(
    gateway: Gateway, user_of: UserOf, *, done_url: str | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """The callback endpoint (a Starlette request handler) for ``gateway``.

    On success it redirects to ``done_url`` (a path or URL of the app) or shows a short
    page; on a refused callback it shows why, with status 400 (403 when nobody is
    signed in).
    """

    async def endpoint(request: Request) -> Response:
        user = user_of(request)
        if inspect.isawaitable(user):
            user = await user
        if not user:
            return _page("Not signed in", "Sign in to the app, then authorize again.", 403)
        refused: GatewayError | None = None
        try:
            done = await gateway.complete_authorization(dict(request.query_params), user=user)
        except GatewayError as exc:  # InvalidAuthorizationState, AuthorizationDenied, ...
            refused = exc
        if refused is not None:
            logger.info("oauth callback refused: %s", type(refused).__name__)
            return _page("Authorization failed", refused.message, 400)
        if done_url is not None:
            return RedirectResponse(done_url, status_code=303)
        return _page("Authorized", f"{done.server} is connected. You can close this window.", 200)

    return endpoint


def callback_route(
    gateway: Gateway, user_of: UserOf, *, path: str = "/oauth/callback", done_url: str | None = None
) -> Route:
    """A Starlette ``Route`` (GET ``path``) serving :func:`callback_app`."""
    return Route(path, callback_app(gateway, user_of, done_url=done_url), methods=["GET"])
