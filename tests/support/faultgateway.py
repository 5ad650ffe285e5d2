"""A small gateway-like test app: real MCP behind it, and every failure a gateway sends.

Routes (all at ``/mcp/<name>/server``):

- ``echo``: a fastmcp server; ``whoami`` returns the Authorization header it saw, so
  isolation is visible; plus structured, image, failing, slow and URL-elicitation tools.
- ``consent``: answers the gateway's McpAuthRequiredError 401 until the caller's token is
  in ``consented``; then behaves as ``echo``.
- ``midsession``: connects for everyone, but ``tools/call`` of ``private_tool`` gets the
  401 consent body until consented (a virtual server mixing shared and per-user tools).
- ``forbidden`` 403, ``limited`` 429 with Retry-After, ``broken`` 500, ``down`` 503,
  ``badgateway`` 502 HTML, ``plaintext`` 401 text, ``badtoken`` 401 invalid-token JSON,
  ``hang`` never answers, ``badlink`` a consent body with a ``javascript:`` link.

Each POST is recorded in ``requests`` as (server, JSON-RPC method, Authorization).
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

from fastmcp import FastMCP
from fastmcp.server.dependencies import get_http_headers
from pydantic import BaseModel

from tests.support.asgi import Receive, Scope, Send, read_body, replay, send_json, send_raw

PNG_1PX = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
    )
).decode()


class Sum(BaseModel):
    total: int


def echo_server() -> FastMCP:
    mcp = FastMCP("echo")

    @mcp.tool
    def whoami() -> str:
        """Return the Authorization header this server received."""
        return get_http_headers(include={"authorization"}).get("authorization", "none")

    @mcp.tool
    def add(a: int, b: int) -> Sum:
        """Add two integers."""
        return Sum(total=a + b)

    @mcp.tool
    def picture() -> Any:
        """Return a one-pixel PNG."""
        from fastmcp.utilities.types import Image

        return Image(data=base64.b64decode(PNG_1PX), format="png")

    @mcp.tool
    def fail(reason: str = "boom") -> str:
        """Always fails (an MCP isError result)."""
        raise ValueError(reason)

    @mcp.tool
    async def slow(seconds: float) -> str:
        """Sleep, then answer."""
        await asyncio.sleep(seconds)
        return "done"

    @mcp.tool
    def private_tool() -> str:
        """A tool that needs the user's own OAuth grant (in 'midsession')."""
        return "private data for " + get_http_headers(include={"authorization"}).get(
            "authorization", "none"
        )

    return mcp


def consent_body(base: str, server: str, display: str) -> dict[str, Any]:
    return {
        "error": {"type": "McpAuthRequiredError", "message": "OAuth authorization required"},
        "message": f"You need to authorize {display} before using it.",
        "authorization_urls": {server: f"{base}/consent/{server}?user=someone"},
        "server_names": {server: display},
    }


class FaultGateway:
    """ASGI app; build a fresh one for every (re)start: fastmcp's app runs once."""

    def __init__(self, base_url: str = "http://127.0.0.1") -> None:
        self.base_url = base_url
        self.consented: set[str] = set()
        self.requests: list[tuple[str, str, str]] = []
        self.inner = echo_server().http_app(path="/mcp/echo/server")

    def calls(self, server: str, method: str | None = None) -> list[tuple[str, str, str]]:
        return [r for r in self.requests if r[0] == server and (method is None or r[1] == method)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        parts = scope["path"].strip("/").split("/")
        server = parts[1] if len(parts) == 3 and parts[0] == "mcp" else ""
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        auth = headers.get("authorization", "")
        body = b""
        if scope["method"] == "POST":
            body = await read_body(receive)
            method = _method(body)
            self.requests.append((server, method, auth))
        else:
            method = scope["method"]
        receive = replay(body, receive)
        handler = getattr(self, f"_{server}", None)
        if handler is not None:
            await handler(scope, receive, send, auth, method, body)
            return
        await self.inner(scope, receive, send)

    async def _forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.inner(
            {**scope, "path": "/mcp/echo/server", "raw_path": b"/mcp/echo/server"}, receive, send
        )

    async def _consent(
        self, scope: Scope, receive: Receive, send: Send, auth: str, *_: Any
    ) -> None:
        if auth in self.consented:
            await self._forward(scope, receive, send)
        else:
            await send_json(send, 401, consent_body(self.base_url, "consent", "Consent Mail"))

    async def _midsession(
        self, scope: Scope, receive: Receive, send: Send, auth: str, method: str, body: bytes
    ) -> None:
        if method == "tools/call" and _tool(body) == "private_tool" and auth not in self.consented:
            await send_json(send, 401, consent_body(self.base_url, "mail", "Mail"))
        else:
            await self._forward(scope, receive, send)

    async def _elicit(
        self, scope: Scope, receive: Receive, send: Send, auth: str, method: str, body: bytes
    ) -> None:
        """tools/call answers JSON-RPC -32042 with as many URL elicitations as the tool
        name says (``needs_0``, ``needs_1``, ``needs_2``)."""
        if method != "tools/call":
            await self._forward(scope, receive, send)
            return
        count = int(_tool(body).rpartition("_")[2] or 0)
        elicitations = [
            {
                "mode": "url",
                "elicitationId": f"drive-{i + 1}",
                "url": f"https://auth.example.com/drive?state={i + 1}",
                "message": "Connect your drive",
            }
            for i in range(count)
        ]
        error = {
            "code": -32042,
            "message": "URL elicitation required",
            "data": {"elicitations": elicitations},
        }
        await send_json(send, 200, {"jsonrpc": "2.0", "id": json.loads(body)["id"], "error": error})

    async def _forbidden(self, scope: Scope, receive: Receive, send: Send, *_: Any) -> None:
        await send_json(
            send, 403, {"error": {"type": "ForbiddenError", "message": "Not allowed for this user"}}
        )

    async def _limited(self, scope: Scope, receive: Receive, send: Send, *_: Any) -> None:
        await send_json(send, 429, {"message": "slow down"}, [(b"retry-after", b"7")])

    async def _broken(self, scope: Scope, receive: Receive, send: Send, *_: Any) -> None:
        await send_json(send, 500, {"message": "internal"})

    async def _down(self, scope: Scope, receive: Receive, send: Send, *_: Any) -> None:
        await send_raw(send, 503, b"Service Unavailable", b"text/plain")

    async def _badgateway(self, scope: Scope, receive: Receive, send: Send, *_: Any) -> None:
        await send_raw(send, 502, b"<html><body>Bad Gateway</body></html>", b"text/html")

    async def _plaintext(self, scope: Scope, receive: Receive, send: Send, *_: Any) -> None:
        await send_raw(send, 401, b"Unauthorized", b"text/plain")

    async def _badtoken(self, scope: Scope, receive: Receive, send: Send, *_: Any) -> None:
        await send_json(
            send, 401, {"error": {"type": "InvalidTokenError", "message": "Token expired"}}
        )

    async def _badlink(self, scope: Scope, receive: Receive, send: Send, *_: Any) -> None:
        body = consent_body(self.base_url, "badlink", "Bad")
        body["authorization_urls"] = {"badlink": "javascript:alert(1)"}
        await send_json(send, 401, body)

    async def _hang(self, scope: Scope, receive: Receive, send: Send, *_: Any) -> None:
        await asyncio.sleep(30)
        await send_raw(send, 504, b"late", b"text/plain")


def _method(body: bytes) -> str:
    try:
        return str(json.loads(body).get("method", "response"))
    except (ValueError, AttributeError):
        return "invalid"


def _tool(body: bytes) -> str:
    try:
        return str(json.loads(body)["params"]["name"])
    except (ValueError, KeyError, TypeError):
        return ""
