"""An httpx2 transport that keeps the gateway's error answers.

The MCP client turns any non-JSON-RPC HTTP error into ``Server returned an error
response`` and drops the body, which is where the gateway puts its consent links.
Raising from a response hook works only at connect time: mid-session it kills the
session (DESIGN §2). So this transport rewrites such an answer to a POST into a
JSON-RPC error for that request id, carrying status, the headers that matter and the
parsed body. The session survives and the caller gets an ``MCPError`` it can classify.

Transport failures (refused, reset, timeout) are rewritten the same way, recording
whether the request may have reached the server (that decides if a retry is safe), the
URL tried (without query or userinfo) and the real cause in words.

Every answer also passes :mod:`._bodies`: error bodies are decoded within a bound, and
the caller's token (read from this request's own Authorization header) is removed from
every body before the MCP client parses or logs it: the one place all gateway bytes
pass. Strings get a second redaction where they become messages (``_classify``,
``_auth``), for forms that only appear once JSON is decoded.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
from typing import Any

import httpx2

from ._bodies import (
    ACCEPT_ENCODING,
    MAX_ERROR_BODY,
    bearer_secret,
    read_error_body,
    redacting,
    secret_pattern,
)
from ._untrusted import redact
from ._wirelog import wire_secret

__all__ = [
    "HTTP_ERROR_CODE",
    "HTTP_ERROR_MARKER",
    "MAX_ERROR_BODY",
    "ErrorPreservingTransport",
    "shared_ssl_context",
    "ssl_context",
]

HTTP_ERROR_CODE = -32050
"""JSON-RPC code of a rewritten HTTP or transport failure (implementation-defined range)."""

HTTP_ERROR_MARKER = "mcp_gateway_tools.http_error"
"""Key in ``error.data`` that marks a rewritten failure, so a server's own -32050 is not
mistaken for one."""

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


def ssl_context(verify: ssl.SSLContext | bool | str) -> ssl.SSLContext:
    """The TLS context for ``Gateway(verify=)``: the shared one for the default."""
    return shared_ssl_context() if verify is True else httpx2.create_ssl_context(verify=verify)


class ErrorPreservingTransport(httpx2.AsyncBaseTransport):
    """Wraps a shared connection pool; rewrites failed POSTs into JSON-RPC errors.

    ``inner`` is owned by the Gateway and shared by every session on one event loop,
    so a new user's first call reuses warm connections; closing this wrapper (when
    its session ends) leaves it open.
    """

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self._inner = inner
        self._secret: str | None = None
        self._pattern: re.Pattern[bytes] | None = None

    def _secret_pattern(self, secret: str | None) -> re.Pattern[bytes] | None:
        """The search pattern of this session's token, built once (one client, one token)."""
        if secret != self._secret:
            self._secret = secret
            self._pattern = secret_pattern(secret) if secret and len(secret) >= 4 else None
        return self._pattern

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        secret = bearer_secret(request)
        wire_secret.set(secret)  # for the third-party records this request produces
        request.headers["accept-encoding"] = ACCEPT_ENCODING
        pattern = self._secret_pattern(secret)
        if request.method != "POST":
            return redacting(await self._inner.handle_async_request(request), secret, pattern)
        try:
            response = await self._inner.handle_async_request(request)
        except httpx2.TransportError as exc:
            return _rewrite_transport_failure(request, exc)
        if response.status_code < 400:
            return redacting(response, secret, pattern)
        return await _rewrite_error_response(request, response, secret)

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


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(seen) < 8:  # bounded: chains can loop
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def describe_cause(exc: BaseException) -> str:
    """The real reason a request failed, in words a user can act on.

    httpx2 reports most of these as ``ConnectError`` with the OS's or OpenSSL's text;
    the cause chain and that text tell TLS-to-plain-HTTP, certificate, refused, DNS and
    proxy failures apart.
    """
    chain = _chain(exc)
    text = " ".join(str(e) for e in chain).lower()
    kinds = tuple(type(e) for e in chain)
    if any(issubclass(k, ssl.SSLCertVerificationError) for k in kinds) or (
        "certificate_verify_failed" in text
    ):
        return "the server's TLS certificate failed verification (pass verify= a CA bundle)"
    if "wrong_version_number" in text or "record layer failure" in text:
        return "TLS was used, but the port speaks plain HTTP (use an http:// URL)"
    if isinstance(exc, httpx2.ProxyError) or "proxy" in text:
        return "the HTTP proxy refused or failed the connection (check HTTPS_PROXY/NO_PROXY)"
    if any(issubclass(k, socket.gaierror) for k in kinds) or any(
        s in text for s in ("name or service not known", "nodename nor servname", "getaddrinfo")
    ):
        return "the host name does not resolve (DNS)"
    if any(issubclass(k, ConnectionRefusedError) for k in kinds) or "refused" in text:
        return "connection refused (nothing is listening on that host and port)"
    if isinstance(exc, httpx2.TimeoutException):
        return "no answer in time"
    if isinstance(exc, httpx2.RemoteProtocolError):
        return "the server closed the connection or broke the HTTP protocol"
    if any(issubclass(k, ssl.SSLError) for k in kinds):
        return "the TLS handshake failed"
    return type(exc).__name__


def public_url(url: httpx2.URL) -> str:
    """``url`` without userinfo, query or fragment: safe to put in a message."""
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}{url.path}"


def _rewrite_transport_failure(
    request: httpx2.Request, exc: httpx2.TransportError
) -> httpx2.Response:
    data = {
        HTTP_ERROR_MARKER: True,
        "status": None,
        "transport_error": type(exc).__name__,
        "cause": describe_cause(exc),
        "url": public_url(request.url),
        "timeout": isinstance(exc, httpx2.TimeoutException),
        "may_have_reached_server": not isinstance(exc, _NOT_SENT),
    }
    return _jsonrpc_error(request, 503, f"transport failure: {type(exc).__name__}", data)


_DEEP = object()


def _parse_body(raw: bytes, truncated: bool) -> Any:
    """The body as JSON if it is JSON, else its text; _DEEP if nested beyond reading."""
    text = raw.decode("utf-8", errors="replace")
    if not truncated:
        try:
            return json.loads(text)
        except ValueError:
            pass
        except RecursionError:  # a body of 100,000 nested brackets
            return _DEEP
    return text


def _is_jsonrpc_error(body: Any) -> bool:
    return (
        isinstance(body, dict)
        and body.get("jsonrpc") == "2.0"
        and isinstance(body.get("error"), dict)
        and "id" in body
    )


def _redact_bytes(raw: bytes, secret: str | None) -> bytes:
    if not secret:
        return raw
    return redact(raw.decode("utf-8", "surrogateescape"), [secret]).encode(
        "utf-8", "surrogateescape"
    )


async def _rewrite_error_response(
    request: httpx2.Request, response: httpx2.Response, secret: str | None
) -> httpx2.Response:
    raw, truncated = await read_error_body(response)
    raw = _redact_bytes(raw, secret)
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
        "headers": {
            k: redact(v, [secret]) if secret else v
            for k, v in response.headers.items()
            if k.lower() in _KEPT_HEADERS
        },
        "body": None if body is _DEEP else body,
        "unreadable": "nested too deeply" if body is _DEEP else None,
        "truncated": truncated,
    }
    return _jsonrpc_error(request, status, f"HTTP {status}", data)
