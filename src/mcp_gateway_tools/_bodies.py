"""Reading what a gateway sends: decoded, bounded, and with the caller's token removed.

Two jobs, both done on bytes before the MCP client (or its DEBUG logging) sees them:

- :func:`read_error_body` reads an error answer within :data:`MAX_ERROR_BODY` bytes
  measured **after** decompression (gzip, deflate, and br when ``brotli`` is
  importable), so a small compressed bomb is cut at the bound, never expanded.
- :class:`RedactingStream` passes a success answer (JSON or an SSE stream) through,
  decoding its content encoding and replacing the call's token in every message that
  reports a failure (a JSON-RPC error, an ``isError`` result).
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote, quote_plus

import httpx2

from ._untrusted import json_escaped_pattern, redact

__all__ = [
    "ACCEPT_ENCODING",
    "MAX_ERROR_BODY",
    "RedactingStream",
    "bearer_secret",
    "read_error_body",
    "redacting",
    "secret_forms",
    "secret_pattern",
]

MAX_ERROR_BODY = 1024 * 1024
"""Error bodies are read up to 1 MiB of decoded bytes; the rest is discarded (a hostile
or broken gateway must not make us buffer without bound)."""

Decoder = Callable[[bytes, int], bytes]

try:  # optional (the "brotli" extra), as in httpx2: br is offered only when decodable
    import brotli as _brotli  # type: ignore[import-not-found, import-untyped, unused-ignore]
except ImportError:  # pragma: no cover - depends on the environment
    _brotli = None
if _brotli is not None and not hasattr(_brotli.Decompressor(), "can_accept_more_data"):
    _brotli = None  # pragma: no cover - brotli < 1.1 cannot bound its output

_READ_ERRORS: tuple[type[Exception], ...] = (httpx2.TransportError, zlib.error) + (
    (_brotli.error,) if _brotli is not None else ()
)
"""Cut an error body where it fails: the connection, or corrupt compressed bytes."""

ACCEPT_ENCODING = "gzip, deflate" + (", br" if _brotli is not None else "")
"""What we ask for: only encodings this module decodes (and so can bound and redact)."""


def bearer_secret(request: httpx2.Request) -> str | None:
    """The token in the request's ``Authorization: Bearer`` header, if any."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def secret_forms(secret: str) -> list[bytes]:
    """The byte forms a gateway may quote ``secret`` in: raw, JSON ``\\/``, %-encoded."""
    forms = {secret, secret.replace("/", "\\/")}
    for encoded in (quote(secret, safe=""), quote_plus(secret, safe="")):
        forms |= {encoded, re.sub("%[0-9A-F]{2}", lambda m: m[0].lower(), encoded)}
    return sorted((f.encode() for f in forms if len(f) >= 4), key=len, reverse=True)


def _zlib_decoder(wbits: int) -> Decoder:
    state = {"d": zlib.decompressobj(wbits)}

    def decode(chunk: bytes, limit: int) -> bytes:
        try:
            return state["d"].decompress(chunk, limit)
        except zlib.error:
            if wbits == zlib.MAX_WBITS:  # "deflate" sent raw, without the zlib wrapper
                state["d"] = zlib.decompressobj(-zlib.MAX_WBITS)
                return state["d"].decompress(chunk, limit)
            raise

    return decode


def _brotli_decoder() -> Decoder:
    assert _brotli is not None
    decompressor = _brotli.Decompressor()

    def decode(chunk: bytes, limit: int) -> bytes:
        # brotli >= 1.1 stops growing one call's output at output_buffer_limit; what is
        # left is dropped, as zlib's unconsumed tail is: the caller stops at the overflow.
        if limit:
            return bytes(decompressor.process(chunk, output_buffer_limit=limit))
        return bytes(decompressor.process(chunk))

    return decode


def decoder_for(encoding: str) -> Decoder | None:
    """A decoder for ``Content-Encoding: encoding`` ("" for none); None if unknown.

    ``limit`` (0 = no limit) caps what one call may produce.
    """
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return lambda chunk, limit: chunk
    if encoding in ("gzip", "x-gzip"):
        return _zlib_decoder(zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return _zlib_decoder(zlib.MAX_WBITS)
    if encoding == "br" and _brotli is not None:
        return _brotli_decoder()
    return None


async def read_error_body(response: httpx2.Response) -> tuple[bytes, bool]:
    """Read and decode at most MAX_ERROR_BODY bytes; say whether the body was cut.

    An encoding we cannot decode gives an empty body (cut): its bytes mean nothing.
    """
    if hasattr(response, "_content"):  # built in memory, so already decoded by httpx2
        await response.aclose()
        return response.content[:MAX_ERROR_BODY], len(response.content) > MAX_ERROR_BODY
    decode = decoder_for(response.headers.get("content-encoding", ""))
    chunks: list[bytes] = []
    size = 0
    truncated = decode is None
    try:
        async for chunk in _raw(response):
            if decode is None:
                break
            part = decode(chunk, MAX_ERROR_BODY + 1 - size)
            chunks.append(part)
            size += len(part)
            if size > MAX_ERROR_BODY:
                truncated = True
                break
    except _READ_ERRORS:
        truncated = True
    finally:
        await response.aclose()
    return b"".join(chunks)[:MAX_ERROR_BODY], truncated


async def _raw(response: httpx2.Response) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.aiter_raw():
            yield chunk
    except httpx2.StreamConsumed:  # an in-memory response (already read)
        yield response.content


def _is_success(message: Any) -> bool:
    """A JSON-RPC result that does not report failure: the tool's own answer.

    Everything else is gateway or server text (an error, an ``isError`` result, a
    server's request or notification) or not JSON-RPC at all, which the MCP client
    quotes whole in its "Error parsing" log records and error messages.
    """
    if not isinstance(message, dict) or "error" in message:
        return False
    result = message.get("result")
    return isinstance(result, dict) and result.get("isError") is not True


def secret_pattern(secret: str) -> re.Pattern[bytes]:
    """One byte pattern for every form of ``secret``: one search finds any of them."""
    return re.compile(b"|".join(re.escape(f) for f in secret_forms(secret)))


class RedactingStream(httpx2.AsyncByteStream):
    """A success answer with ``secret`` removed from the messages that report failure.

    A tool's successful result is the tool's business and passes unchanged (a
    ``whoami`` tool may rightly return the caller's identity); anything else (a
    JSON-RPC error, an ``isError`` result, a server's request or notification, a body
    that is not JSON-RPC) is gateway or server text, and loses every form of the
    token, ``\\u``-escaped ones included. The body is handled per line (an SSE stream)
    or whole (a JSON answer); only a message that contains a form of the token is
    parsed, so the common case costs one search of :func:`secret_pattern` (built once
    per session). Lines end every SSE event, so no event is delayed.
    """

    def __init__(
        self,
        inner: httpx2.AsyncByteStream,
        secret: str,
        pattern: re.Pattern[bytes],
        decode: Decoder,
        *,
        whole: bool,
    ) -> None:
        self._inner = inner
        self._secret = secret
        self._pattern = pattern
        self._escaped: re.Pattern[bytes] | None = None
        self._decode = decode
        self._whole = whole

    def _quotes_secret(self, data: bytes) -> bool:
        """Whether ``data`` holds a form of the token; ``\\u`` escapes are looked at
        only when ``data`` has one (JSON decoding would reveal the token)."""
        if self._pattern.search(data) is not None:
            return True
        if b"\\u" not in data:
            return False
        if self._escaped is None:
            self._escaped = re.compile(json_escaped_pattern(self._secret).encode())
        return self._escaped.search(data) is not None

    def _redact(self, data: bytes) -> bytes:
        text = data.decode("utf-8", "surrogateescape")
        return redact(text, [self._secret]).encode("utf-8", "surrogateescape")

    def _clean(self, data: bytes) -> bytes:
        if not self._quotes_secret(data):
            return data
        payload = data[5:] if data.startswith(b"data:") else data
        try:
            message = json.loads(payload)
        except (ValueError, RecursionError):
            return self._redact(data)  # unreadable: nothing to keep
        return data if _is_success(message) else self._redact(data)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        pending = b""
        async for chunk in self._inner:
            pending += self._decode(chunk, 0)
            if self._whole:
                continue
            head, newline, pending = pending.rpartition(b"\n")
            if not newline:
                continue
            if self._pattern.search(head) is None:  # the common case: one search, no split
                yield head + newline
            else:
                yield b"\n".join(self._clean(line) for line in head.split(b"\n")) + newline
        if pending:
            yield self._clean(pending)

    async def aclose(self) -> None:
        await self._inner.aclose()


_REDACTED_TYPES = ("application/json", "text/event-stream")
_DROPPED = (b"content-encoding", b"content-length")


def _body_headers(raw: list[tuple[bytes, bytes]]) -> tuple[str, str, list[str]]:
    """Content encoding, media type, and which of :data:`_DROPPED` are present: one pass
    over the raw headers (each ``Headers.get`` scans them all again)."""
    encoding = kind = ""
    dropped: list[str] = []
    for key, value in raw:
        name = key.lower()
        if name == b"content-type":
            kind = value.decode("latin-1").split(";")[0].strip().lower()
        elif name == b"content-encoding":
            encoding = value.decode("latin-1")
        if name in _DROPPED:
            dropped.append(name.decode())
    return encoding, kind, list(dict.fromkeys(dropped))


def redacting(
    response: httpx2.Response, secret: str | None, pattern: re.Pattern[bytes] | None
) -> httpx2.Response:
    """``response``, its body now passed through :class:`RedactingStream`.

    Its content encoding is decoded here (so the bytes can be searched), and the
    headers lose ``content-encoding`` and ``content-length`` accordingly. An encoding
    we did not ask for is passed on untouched. The response is changed in place (a
    new one per answer costs more than the search); ``pattern`` is
    :func:`secret_pattern` of ``secret``, which the caller keeps per session.
    """
    if secret is None or pattern is None or len(secret) < 4:
        return response
    encoding, kind, dropped = _body_headers(response.headers.raw)
    decode = decoder_for(encoding)
    if decode is None or kind not in _REDACTED_TYPES:
        return response
    whole = kind == "application/json"
    if hasattr(response, "_content"):  # read into memory already (a test's mock transport)
        headers = [(k, v) for k, v in response.headers.raw if k.lower() not in _DROPPED]
        inner = httpx2.ByteStream(response.content)
        return httpx2.Response(
            response.status_code,
            headers=headers,
            stream=RedactingStream(inner, secret, pattern, decode, whole=whole),
            request=response.request,
            extensions=response.extensions,
        )
    for name in dropped:
        del response.headers[name]
    stream = response.stream
    assert isinstance(stream, httpx2.AsyncByteStream)
    response.stream = RedactingStream(stream, secret, pattern, decode, whole=whole)
    return response
