"""The Starlette app: one static page, a JSON API, and one SSE stream per open page.

Routes: ``GET /`` (the page), ``/static/*`` (its JS and CSS, served from the package:
no CDN, no build step), ``GET /api/me``, ``POST /api/login`` / ``/api/logout``,
``POST /api/chat``, ``POST /api/decision``, ``GET /api/events`` (SSE) and ``GET
/oauth/callback`` (the library's ``callback_app``: where the calendar's authorization
server sends the user back, for the user of the session cookie). The page
only ever holds the app's own signed, HttpOnly session cookie: gateway tokens stay in
this process. POSTs must be JSON (a cross-site form cannot send that without CORS), and
a strict Content-Security-Policy allows nothing but this origin.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ...oauth import callback_app
from ._runs import Conversations, Refused
from ._session import COOKIE, MAX_AGE, read_session, sign_session
from ._settings import USERS, Settings

__all__ = ["STATIC", "build_app"]

STATIC = Path(__file__).parent / "static"
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_HEARTBEAT = 15.0
Handler = Callable[[Request], Awaitable[Response]]


class _SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] += [
                    (b"content-security-policy", _CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cache-control", b"no-store"),
                ]
            await send(message)

        await self.app(scope, receive, sending)


def build_app(settings: Settings, conversations: Callable[[], Conversations]) -> Starlette:
    """The app; ``conversations()`` gives the worker's runs once its lifespan started."""

    def user_of(request: Request) -> str | None:
        user = read_session(settings.secret, request.cookies.get(COOKIE))
        return user if user in settings.tokens else None

    async def body_of(request: Request) -> dict[str, Any]:
        if request.headers.get("content-type", "").split(";")[0] != "application/json":
            raise Refused("send JSON")
        try:
            data = json.loads(await request.body())
        except ValueError:
            raise Refused("send JSON") from None
        if not isinstance(data, dict):
            raise Refused("send a JSON object")
        return data

    def signed_in(handler: Callable[[Request, str], Awaitable[Response]]) -> Handler:
        async def guarded(request: Request) -> Response:
            user = user_of(request)
            if user is None:
                return JSONResponse({"error": "sign in first"}, status_code=401)
            try:
                return await handler(request, user)
            except Refused as refused:
                return JSONResponse({"error": str(refused)}, status_code=409)

        return guarded

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    async def me(request: Request) -> Response:
        user = user_of(request)
        model = f"{settings.model} (OpenAI)" if settings.model else "scripted"
        available = [{"id": u, "name": USERS.get(u, u)} for u in settings.tokens]
        return JSONResponse(
            {
                "user": user,
                "name": USERS.get(user or "", user),
                "users": available,
                "model": model,
                "scripted": settings.model is None,
                "worker": settings.worker,
            }
        )

    async def login(request: Request) -> Response:
        try:
            user = (await body_of(request)).get("user")
        except Refused as refused:
            return JSONResponse({"error": str(refused)}, status_code=400)
        if user not in settings.tokens:
            return JSONResponse({"error": "unknown user"}, status_code=400)
        response = JSONResponse({"user": user})
        response.set_cookie(
            COOKIE,
            sign_session(settings.secret, str(user)),
            max_age=MAX_AGE,
            httponly=True,
            samesite="strict",
            path="/",
        )
        return response

    async def logout(request: Request) -> Response:
        response = JSONResponse({"user": None})
        response.delete_cookie(COOKIE, path="/")
        return response

    async def chat(request: Request, user: str) -> Response:
        text = str((await body_of(request)).get("text", "")).strip()[:2000]
        if not text:
            raise Refused("say something")
        await conversations().say(user, text)
        return JSONResponse({"ok": True}, status_code=202)

    async def decision(request: Request, user: str) -> Response:
        data = await body_of(request)
        choice = data.get("decision")
        if choice not in ("approve", "reject", "decline"):
            raise Refused("decision is approve, reject or decline")
        await conversations().decide(user, str(data.get("id", "")), str(choice))
        return JSONResponse({"ok": True}, status_code=202)

    async def events(request: Request, user: str) -> Response:
        runs = conversations()
        queue = await runs.page_opened(user)

        async def stream() -> AsyncIterator[str]:
            try:
                while True:
                    try:
                        async with asyncio.timeout(_HEARTBEAT):
                            event = await queue.get()
                    except TimeoutError:
                        yield ": keep-alive\n\n"
                        continue
                    yield f"data: {json.dumps(event)}\n\n"
            finally:
                runs.page_closed(user, queue)

        return StreamingResponse(stream(), media_type="text/event-stream")

    async def oauth_callback(request: Request) -> Response:
        return await callback_app(conversations().gateway, user_of)(request)

    routes = [
        Route("/", index),
        Route("/oauth/callback", oauth_callback),
        Route("/api/me", me),
        Route("/api/login", login, methods=["POST"]),
        Route("/api/logout", logout, methods=["POST"]),
        Route("/api/chat", signed_in(chat), methods=["POST"]),
        Route("/api/decision", signed_in(decision), methods=["POST"]),
        Route("/api/events", signed_in(events)),
        Mount("/static", StaticFiles(directory=STATIC)),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(_SecurityHeaders)
    return app
