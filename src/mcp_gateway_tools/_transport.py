"""An httpx2 transport that keeps the gateway's error answers.

The MCP client turns any non-JSON-RPC HTTP error into ``Server returned an error
response`` and drops the body, which is where the gateway puts its consent links.
Raising from a response hook works only at connect time: mid-session it kills the
session (DESIGN §2). So this transport rewrites such an answer to a POST into a
JSON-RPC error for that request id, carrying status, the headers that matter and the
parsed body. The session survives and the caller gets an ``MCPError`` it can classify.

Transport failures (refused, reset, timeout) are rewritten the same way, recording
whether the request may have reached the server: that decides if a retry is safe.
"""

from __future__ import annotations

import json
import ssl
from typing import Any

import httpx2

__all__ = ["HTTP_ERROR_CODE", "HTTP_ERROR_MARKER", "ErrorPreservingTransport", "shared_ssl_context"]

HTTP_ERROR_CODE = -32050
"""JSON-RPC code of a rewritten HTTP or transport failure (implementation-defined range)."""

HTTP_ERROR_MARKER = "mcp_gateway_tools.http_error"
"""Key in ``error.data`` that marks a rewritten failure, so a server's own -32050 is not
mistaken for one."""

MAX_ERROR_BODY = 1024 * 1024
"""Error bodies are read up to 1 MiB; the rest is discarded (a hostile or broken
gateway must not make us buffer without bound)."""

_KEPT_HEADERS = ("retry-after", "www-authenticate", "content-type", "mcp-session-id")

# Failures that happen before any byte of the request was sent.
_NOT_SENT = (
    httpx2.ConnectError,
    httpx2.ConnectTimeout,
    httpx2.PoolTimeout,
    httpx2.UnsupportedProtocol,
)

_ssl_context: ssl.SSLContext | None = None


def shared_ssl_context() -> ssl.SSLContext:
    """One TLS context for every client: building one costs ~40 ms (DESIGN §2)."""
    global _ssl_context
    if _ssl_context is None:
        _ssl_context = httpx2.create_ssl_context()
    return _ssl_context


class ErrorPreservingTransport(httpx2.AsyncBaseTransport):
    """Wraps a shared connection pool; rewrites failed POSTs into JSON-RPC errors.

    ``inner`` is owned by the Gateway and shared by every session on one event loop,
    so a new user's first call reuses warm connections; closing this wrapper (when
    its session ends) leaves it open.
    """

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.method != "POST":
            return await self._inner.handle_async_request(request)
        try:
            response = await self._inner.handle_async_request(request)
        except httpx2.TransportError as exc:
            return _rewrite_transport_failure(request, exc)
        if response.status_code < 400:
            return response
        return await _rewrite_error_response(request, response)

    async def aclose(self) -> None:
        """Leave the shared pool open: the Gateway closes it."""


def _request_id(request: httpx2.Request) -> str | int | None:
    try:
        message = json.loads(request.content)
    except (ValueError, httpx2.RequestNotRead):
        return None
    if isinstance(message, dict):
        rid = message.get("id")
        if isinstance(rid, str | int) and not isinstance(rid, bool):
            return rid
    return None


def _jsonrpc_error(
    request: httpx2.Request, status: int, message: str, data: dict[str, Any]
) -> httpx2.Response:
    rid = _request_id(request)
    if rid is None:  # a notification: nobody waits for an answer
        return httpx2.Response(202, request=request)
    body = {
        "jsonrpc": "2.0",
        "id": rid,
        "error": {"code": HTTP_ERROR_CODE, "message": message, "data": data},
    }
    return httpx2.Response(
        status,
        headers={"content-type": "application/json"},
        content=json.dumps(body).encode(),
        request=request,
    )


def _rewrite_transport_failure(
    request: httpx2.Request, exc: httpx2.TransportError
) -> httpx2.Response:
    data = {
        HTTP_ERROR_MARKER: True,
        "status": None,
        "transport_error": type(exc).__name__,
        "timeout": isinstance(exc, httpx2.TimeoutException),
        "may_have_reached_server": not isinstance(exc, _NOT_SENT),
    }
    return _jsonrpc_error(request, 503, f"transport failure: {type(exc).__name__}", data)


async def _read_bounded(response: httpx2.Response) -> tuple[bytes, bool]:
    """Read at most MAX_ERROR_BODY bytes; say whether the body was cut."""
    chunks: list[bytes] = []
    size = 0
    truncated = False
    try:
        async for chunk in response.aiter_raw():
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_ERROR_BODY:
                truncated = True
                break
    except httpx2.StreamConsumed:  # an in-memory response (already read)
        chunks, size = [response.content], len(response.content)
        truncated = size > MAX_ERROR_BODY
    except httpx2.TransportError:
        truncated = True
    finally:
        await response.aclose()
    return b"".join(chunks)[:MAX_ERROR_BODY], truncated


def _parse_body(raw: bytes, truncated: bool) -> Any:
    text = raw.decode("utf-8", errors="replace")
    if not truncated:
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def _is_jsonrpc_error(body: Any) -> bool:
    return (
        isinstance(body, dict)
        and body.get("jsonrpc") == "2.0"
        and isinstance(body.get("error"), dict)
        and "id" in body
    )


async def _rewrite_error_response(
    request: httpx2.Request, response: httpx2.Response
) -> httpx2.Response:
    raw, truncated = await _read_bounded(response)
    body = _parse_body(raw, truncated)
    status = response.status_code
    if _is_jsonrpc_error(body):
        # Already a JSON-RPC error (e.g. 'Session not found'): hand it on unchanged.
        return httpx2.Response(
            status,
            headers={"content-type": "application/json"},
            content=raw,
            request=request,
        )
    data = {
        HTTP_ERROR_MARKER: True,
        "status": status,
        "headers": {k: v for k, v in response.headers.items() if k.lower() in _KEPT_HEADERS},
        "body": body,
        "truncated": truncated,
    }
    return _jsonrpc_error(request, status, f"HTTP {status}", data)
