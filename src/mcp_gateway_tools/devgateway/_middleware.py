"""The dev gateway's front-door rules as Starlette middleware and exception handlers.

- :class:`LoopbackHostMiddleware`: both ports (gateway and upstream) answer only
  requests whose ``Host`` names a loopback address: the DNS-rebinding guard a service
  on 127.0.0.1 needs, since a browser page on any site can make requests to it.
- :class:`BodyLimitMiddleware`: a request body over the limit (declared or streamed)
  raises :class:`PayloadTooLarge` when the endpoint reads it, so the checks that come
  first (auth, access) still answer first.
- :class:`Refusal`: an endpoint raises it with the answer the gateway owes the client
  (401 with a consent body, 403, 404, 413, 502...); :func:`exception_handlers` turns
  it, routing misses and unexpected failures into the gateway's JSON error bodies.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "BodyLimitMiddleware",
    "LoopbackHostMiddleware",
    "PayloadTooLarge",
    "Refusal",
    "error_body",
    "exception_handlers",
    "json_error",
    "replaying",
]

log = logging.getLogger("mcp_gateway_tools.devgateway")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def error_body(kind: str, message: str, **extra: Any) -> dict[str, Any]:
    """The gateway's error body: ``error.type`` / ``error.message`` plus ``message``."""
    return {"error": {"type": kind, "message": message}, "message": message, **extra}


def json_error(
    status: int, kind: str, message: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse(error_body(kind, message, **extra), status_code=status, headers=headers)


class Refusal(Exception):
    """The request is answered with ``response`` instead of being proxied."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class PayloadTooLarge(Exception):
    """The request body exceeds ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def replaying(body: bytes, receive: Receive, *, more_body: bool = False) -> Receive:
    """A receive channel that yields the already-read ``body`` once, then the real
    channel (which reports a disconnect): an app downstream reads the request again."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": more_body}

    return replay


def loopback_host(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return name.strip("[]").lower() in _LOOPBACK


class LoopbackHostMiddleware:
    """Answer 421 to any request whose Host header is not a loopback name."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not loopback_host(Headers(scope=scope).get("host", "")):
            msg = "Host header must name the loopback address the gateway listens on."
            await json_error(421, "MisdirectedRequestError", msg)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BodyLimitMiddleware:
    """Make reading a body over ``max_bytes`` raise :class:`PayloadTooLarge`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        size = 0

        async def limited() -> Message:
            nonlocal size
            if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
                raise PayloadTooLarge(self.max_bytes)
            message = await receive()
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                raise PayloadTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited, send)


async def _refusal(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refusal)
    return exc.response


async def _too_large(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PayloadTooLarge)
    msg = f"Request body exceeds {exc.limit} bytes."
    return json_error(413, "PayloadTooLargeError", msg)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return json_error(405, "MethodNotAllowedError", "Method not allowed.")
    if exc.status_code == 404:
        return json_error(404, "NotFoundError", "No such route.")
    return json_error(exc.status_code, "HTTPError", str(exc.detail))


async def _internal(request: Request, exc: Exception) -> Response:
    log.error("internal error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return json_error(500, "InternalError", "The dev gateway failed; see its log.")


def exception_handlers() -> dict[Any, Any]:
    """Starlette ``exception_handlers`` mapping for both dev gateway apps."""
    return {
        Refusal: _refusal,
        PayloadTooLarge: _too_large,
        HTTPException: _http_error,
        Exception: _internal,
    }
