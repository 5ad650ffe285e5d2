"""The fault gateway's table of answers: every way a gateway fails, by name.

Each entry answers a POST (``Handler(send, JSON-RPC id)``); ``FaultGateway`` picks it
by server name, at connect time or (``<name>.call``) on ``tools/call`` only.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.support.asgi import Send, send_json
from tests.support.asgi import send_raw as raw
from tests.support.timing import scaled

MIB = 1024 * 1024
OK_URL = "https://consent.example.com/authorize?state=abc"
# OSC 52 clipboard write, OSC 0 window title, clear screen + home, CSI via C1, RLO, CR.
ESCAPES = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b]0;pwned\x07\x1b[2J\x1b[H\x9b31m\u202eevil\r"
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e", "\r")


def consent(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "error": {"type": "McpAuthRequiredError", "message": "OAuth authorization required"},
        "message": "Authorize Mail first.",
        "authorization_urls": {"mail": OK_URL},
        "server_names": {"mail": "Mail"},
    }
    for key, value in overrides.items():
        if value is ...:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def elicitation_error(rid: Any, urls: list[str]) -> dict[str, Any]:
    elicitations = [
        {"mode": "url", "elicitationId": f"e{i}", "url": url, "message": f"Connect #{i}"}
        for i, url in enumerate(urls)
    ]
    error = {
        "code": -32042,
        "message": "URL elicitation required",
        "data": {"elicitations": elicitations},
    }
    return {"jsonrpc": "2.0", "id": rid, "error": error}


Handler = Callable[[Send, Any], Awaitable[None]]


def _json(status: int, payload: Any, headers: list[tuple[bytes, bytes]] | None = None) -> Handler:
    async def handler(send: Send, rid: Any) -> None:
        await send_json(send, status, payload, headers)

    return handler


def _retry_after_a_date(seconds: float) -> Handler:
    """429 whose Retry-After is an HTTP date ``seconds`` from *this request* (a date
    fixed when the app was built would shrink as a slow suite goes on)."""

    async def handler(send: Send, rid: Any) -> None:
        when = email.utils.formatdate(time.time() + seconds, usegmt=True).encode()
        await send_json(send, 429, {"message": "slow down"}, [(b"retry-after", when)])

    return handler


def _raw(status: int, body: bytes, content_type: bytes = b"text/plain") -> Handler:
    async def handler(send: Send, rid: Any) -> None:
        await raw(send, status, body, content_type)

    return handler


def _rpc(build: Callable[[Any], Any]) -> Handler:
    async def handler(send: Send, rid: Any) -> None:
        await send_json(send, 200, build(rid))

    return handler


async def _reset(send: Send, rid: Any) -> None:
    """Promise 4 kB, send 10 bytes, then drop the connection."""
    headers = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"jsonrpc"', "more_body": True})
    raise ConnectionResetError("reset mid-response (deliberate)")


def _drip(seconds: float) -> Handler:
    """A correct JSON-RPC result, a few bytes at a time over ``seconds``."""

    async def handler(send: Send, rid: Any) -> None:
        result = {
            "content": [{"type": "text", "text": '{"total": 5}'}],
            "structuredContent": {"total": 5},
            "isError": False,
            "resultType": "complete",  # the 2026-07-28 protocol the client negotiates
        }
        body = json.dumps({"jsonrpc": "2.0", "id": rid, "result": result}).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        pieces = [body[i : i + 8] for i in range(0, len(body), 8)]
        for piece in pieces:
            await asyncio.sleep(seconds / len(pieces))
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    return handler


async def _hang(send: Send, rid: Any) -> None:
    await asyncio.sleep(scaled(30))  # longer than any scaled timeout of the tests
    await raw(send, 504, b"late", b"text/plain")


def faults(base_url: str) -> dict[str, Handler]:
    """Every fault by name; ``base_url`` is the gateway's own origin (same-origin links)."""
    huge_json = json.dumps(consent(message="x" * (MIB + MIB // 2))).encode()
    escapes_consent = consent(
        message=f"Authorize {ESCAPES} now",
        authorization_urls={"consent": f"{base_url}/consent/abc"},
        server_names={"consent": f"Mail{ESCAPES}"},
    )
    return {
        "html401": _raw(401, b"<html><body><h1>401 Unauthorized</h1></body></html>", b"text/html"),
        "text401": _raw(401, b"Unauthorized"),
        "truncated401": _raw(401, json.dumps(consent()).encode()[:40], b"application/json"),
        "huge401": _raw(401, huge_json, b"application/json"),
        "hugehtml401": _raw(401, b"<p>" * (MIB // 2), b"text/html"),
        "list401": _json(401, [1, 2, 3]),
        "null401": _json(401, None),
        "errorstring401": _json(401, {"error": "McpAuthRequiredError"}),
        "invalidtoken401": _json(
            401, {"error": {"type": "InvalidTokenError", "message": "Token expired"}}
        ),
        "urlslist401": _json(401, consent(authorization_urls=[OK_URL])),
        "urlsint401": _json(401, consent(authorization_urls={"mail": 42})),
        "nourls401": _json(401, consent(authorization_urls=...)),
        "emptyurls401": _json(401, consent(authorization_urls={})),
        "javascript401": _json(401, consent(authorization_urls={"mail": "javascript:alert(1)"})),
        "data401": _json(401, consent(authorization_urls={"mail": "data:text/html,<b>x</b>"})),
        "relative401": _json(401, consent(authorization_urls={"mail": "/consent/mail"})),
        "schemeless401": _json(401, consent(authorization_urls={"mail": "//evil.example/x"})),
        "brackets401": _json(401, consent(authorization_urls={"mail": "https://[::1/consent"})),
        "newline401": _json(401, consent(authorization_urls={"mail": OK_URL + "\nSet-Cookie: x"})),
        "unicode401": _json(
            401,
            consent(
                authorization_urls={"mail": OK_URL, "drive": OK_URL + "&d=1"},
                server_names={"mail": "Почта 📧", "drive": "بريد \u202eevil"},
                message="Autorisez « Почта » d’abord.",
            ),
        ),
        "namesint401": _json(401, consent(server_names=[1, 2])),
        "consent401": _json(401, consent()),
        "403": _json(403, {"error": {"type": "Forbidden", "message": "not for you"}}),
        "404": _json(404, {"error": {"type": "NotFound", "message": "no such server"}}),
        "429": _json(429, {"message": "slow down"}, [(b"retry-after", b"7")]),
        "429date": _retry_after_a_date(30),
        "429junk": _json(429, {"message": "slow down"}, [(b"retry-after", b"soon")]),
        "500": _json(500, {"message": "internal"}),
        "502": _raw(502, b"<html>Bad Gateway</html>", b"text/html"),
        "503": _raw(503, b"Service Unavailable"),
        "504": _json(504, {"message": "upstream timed out"}),
        "418": _raw(418, b"I'm a teapot"),
        "notjson200": _raw(200, b"hello, not JSON", b"application/json"),
        "garbage200": _json(200, {"jsonrpc": "2.0", "id": "nope", "surprise": True}),
        "reset": _reset,
        "hang": _hang,
        "drip": _drip(scaled(15.0)),  # well past the scaled call timeout
        "dripok": _drip(0.4),
        "elicit0": _rpc(lambda rid: elicitation_error(rid, [])),
        "elicit3": _rpc(
            lambda rid: elicitation_error(rid, [OK_URL, OK_URL + "&n=2", OK_URL + "&n=3"])
        ),
        "elicitbad": _rpc(lambda rid: elicitation_error(rid, ["javascript:alert(1)"])),
        # terminal escapes in every text a terminal would show
        "escapes401": _json(401, escapes_consent),
        "escapes403": _json(403, {"error": {"type": "Forbidden", "message": f"No {ESCAPES}"}}),
    }
