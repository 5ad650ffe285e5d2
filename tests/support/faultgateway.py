"""The one fault-injecting test gateway: real MCP behind it, and every failure a gateway sends.

Routes are ``/mcp/<name>/server``:

- ``echo``: a fastmcp server; ``whoami`` returns the Authorization header it saw, so
  isolation is visible; plus structured, image, failing, slow and private tools.
- ``escapes``: a fastmcp server whose tool description and results carry terminal
  escapes (``faults.ESCAPES``).
- every name in ``faults.faults()`` (``403``, ``429``, ``hang``, ``html401``,
  ``escapes401``, ...) answers every POST with that fault, so it meets the client while
  it connects; ``<name>.call`` answers only ``tools/call`` that way (a mid-session
  failure: the session opens and lists from ``echo``).
- ``consent``: the gateway's McpAuthRequiredError 401 until the caller's token is in
  ``consented``; then behaves as ``echo``.
- ``midsession``: connects for everyone, but ``tools/call`` of ``private_tool`` gets the
  401 consent body until consented (a virtual server mixing shared and per-user tools).
- ``elicit``: ``tools/call`` answers ``-32042`` with as many URL elicitations as the
  tool name says (``needs_0``, ``needs_1``, ``needs_2``).
- ``expiring``: echo, but every session is forgotten after its first ``tools/call`` (a
  legacy session expiring server-side: ``Session not found``).

Any other name is a 404. Each POST is recorded in ``requests`` as (server, JSON-RPC
method, Authorization).
"""

from __future__ import annotations

import asyncio
import base64
import json
from contextlib import AsyncExitStack
from typing import Any

from fastmcp import FastMCP
from fastmcp.server.dependencies import get_http_headers
from pydantic import BaseModel

from tests.support.asgi import Receive, Scope, Send, read_body, replay, send_json
from tests.support.faults import ESCAPES, faults

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


def escapes_server() -> FastMCP:
    mcp = FastMCP("escapes")

    @mcp.tool(description=f"Echoes text {ESCAPES} back")
    def echo(text: str) -> str:
        return f"{text} {ESCAPES}"

    return mcp


class FaultGateway:
    """ASGI app; build a fresh one for every (re)start: fastmcp's apps run once."""

    def __init__(self, base_url: str = "http://127.0.0.1") -> None:
        self.base_url = base_url
        self.consented: set[str] = set()
        self.requests: list[tuple[str, str, str]] = []
        self.used_sessions: set[str] = set()
        self.faults = faults(base_url)
        self.upstreams = {
            "echo": echo_server().http_app(path="/mcp/echo/server"),
            "escapes": escapes_server().http_app(path="/mcp/escapes/server"),
        }

    def reset(self) -> None:
        """Forget requests, consents and used sessions (between tests)."""
        self.requests.clear()
        self.consented.clear()
        self.used_sessions.clear()

    def calls(self, server: str, method: str | None = None) -> list[tuple[str, str, str]]:
        return [r for r in self.requests if r[0] == server and (method is None or r[1] == method)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        parts = scope["path"].strip("/").split("/")
        server = parts[1] if len(parts) == 3 and parts[0] == "mcp" else ""
        name, _, phase = server.partition(".")
        auth = dict(scope["headers"]).get(b"authorization", b"").decode()
        body = await read_body(receive) if scope["method"] == "POST" else b""
        message = _message(body)
        method = _method(body) if scope["method"] == "POST" else scope["method"]
        if scope["method"] == "POST":
            self.requests.append((server, method, auth))
        receive = replay(body, receive)
        fault = self.faults.get(name)
        armed = scope["method"] == "POST" and (phase != "call" or method == "tools/call")
        if fault is not None and armed:
            await fault(send, message.get("id"))
            return
        answer = getattr(self, f"_{name}", None)
        if answer is not None and await answer(scope, send, auth, method, message):
            return
        known = fault is not None or answer is not None
        upstream = name if name in self.upstreams else "echo"
        path = f"/mcp/{upstream}/server" if known or name in self.upstreams else scope["path"]
        await self.upstreams[upstream](
            {**scope, "path": path, "raw_path": path.encode()}, receive, send
        )

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """Run every upstream's lifespan (fastmcp's session managers) inside ours."""
        async with AsyncExitStack() as stack:
            await receive()  # lifespan.startup
            for app in self.upstreams.values():
                await stack.enter_async_context(app.router.lifespan_context(app))
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})

    # Answers that depend on state; each returns True when it answered, False to
    # hand the request on to echo.

    async def _consent(self, scope: Scope, send: Send, auth: str, *_: Any) -> bool:
        return await self._unless_consented(send, auth, "consent", "Consent Mail")

    async def _midsession(
        self, scope: Scope, send: Send, auth: str, method: str, message: dict[str, Any]
    ) -> bool:
        private = method == "tools/call" and _tool(message) == "private_tool"
        return private and await self._unless_consented(send, auth, "mail", "Mail")

    async def _unless_consented(self, send: Send, auth: str, server: str, display: str) -> bool:
        """The gateway's consent 401, unless this token has consented."""
        if auth in self.consented:
            return False
        await send_json(send, 401, consent_body(self.base_url, server, display))
        return True

    async def _elicit(
        self, scope: Scope, send: Send, auth: str, method: str, message: dict[str, Any]
    ) -> bool:
        if method != "tools/call":
            return False
        count = int(_tool(message).rpartition("_")[2] or 0)
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
        await send_json(send, 200, {"jsonrpc": "2.0", "id": message.get("id"), "error": error})
        return True

    async def _expiring(
        self, scope: Scope, send: Send, auth: str, method: str, message: dict[str, Any]
    ) -> bool:
        session = dict(scope["headers"]).get(b"mcp-session-id", b"").decode()
        if not session or scope["method"] != "POST" or method != "tools/call":
            return False
        if session not in self.used_sessions:
            self.used_sessions.add(session)
            return False
        error = {"code": -32600, "message": "Session not found"}
        await send_json(send, 404, {"jsonrpc": "2.0", "id": message.get("id"), "error": error})
        return True


def _message(body: bytes) -> dict[str, Any]:
    try:
        message = json.loads(body)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}


def _method(body: bytes) -> str:
    try:
        return str(json.loads(body).get("method", "response"))
    except (ValueError, AttributeError):
        return "invalid"


def _tool(message: dict[str, Any]) -> str:
    params = message.get("params")
    return str(params.get("name", "")) if isinstance(params, dict) else ""
