"""The benchmark's MCP server: a fastmcp echo tool at a configurable network distance.

``python -m benchmarks.server PORT [TOOLS]`` serves ``/mcp/<any name>/server`` (every
name is the same server) and, beside it:

- ``PUT /latency`` with body ``{"one_way_ms": 25}``: each HTTP request then waits 25 ms
  before it reaches the app and 25 ms before its response starts (50 ms round trip);
  the first request of a new TCP connection waits one round trip more (the handshake a
  real network charges; TLS would add another);
- ``GET /stats``: POSTs counted per JSON-RPC method, other requests per HTTP method, and
  ``connections`` (new TCP connections) since the last ``DELETE /stats``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from typing import Any

import uvicorn
from fastmcp import FastMCP

PATH = "/mcp/bench/server"


def build(extra_tools: int = 0) -> Any:
    mcp = FastMCP("bench")

    @mcp.tool
    def echo(text: str) -> str:
        """Echo the text back."""
        return text

    for i in range(extra_tools):
        mcp.tool(_numbered(i))
    return _Distance(mcp.http_app(path=PATH))


def _numbered(i: int) -> Any:
    def tool(value: int) -> int:
        return value + i

    tool.__name__, tool.__doc__ = f"tool_{i:03d}", f"Synthetic tool number {i}."
    return tool


class _Distance:
    """ASGI wrapper: counts requests and connections, and adds the configured delay."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.counts: Counter[str] = Counter()
        self.seen: set[Any] = set()
        self.one_way = 0.0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/mcp/"):
            if scope["type"] == "http":
                return await self.control(scope, receive, send)
            return await self.inner(scope, receive, send)
        delay = self.one_way
        if scope.get("client") not in self.seen:  # a new connection: one round trip first
            self.seen.add(scope.get("client"))
            self.counts["connections"] += 1
            delay += 2 * self.one_way
        body = await _read(receive) if scope["method"] == "POST" else b""
        self.counts[_method(scope["method"], body)] += 1
        if delay:
            await asyncio.sleep(delay)
        scope = {**scope, "path": PATH, "raw_path": PATH.encode()}
        await self.inner(scope, _replay(body, receive), self._delayed(send))
        return None

    def _delayed(self, send: Any) -> Any:
        async def delayed(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and self.one_way:
                await asyncio.sleep(self.one_way)
            await send(message)

        return delayed

    async def control(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["path"] == "/latency" and scope["method"] == "PUT":
            self.one_way = float(json.loads(await _read(receive))["one_way_ms"]) / 1000
        body = json.dumps({**self.counts, "one_way_ms": self.one_way * 1000}).encode()
        if scope["path"] == "/stats" and scope["method"] == "DELETE":
            self.counts.clear()  # after reading: DELETE answers what it cleared
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _method(http_method: str, body: bytes) -> str:
    if http_method != "POST":
        return http_method
    try:
        return str(json.loads(body).get("method", "response"))
    except ValueError:
        return "invalid"


async def _read(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(raw: bytes, receive: Any) -> Any:
    """Hand the already-read body to the app once, then the real channel."""
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}
        return await receive()

    return replay


if __name__ == "__main__":
    port, tools = int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 0
    uvicorn.run(
        build(tools), host="127.0.0.1", port=port, log_level="error", timeout_keep_alive=120
    )
