"""A fastmcp echo server for benchmarks, run in its own process (no GIL sharing).

``python benchmarks/echo_server.py PORT [TOOLS]`` serves ``/mcp/<name>/server`` for any
name (every server is the same echo server) and counts POSTs per JSON-RPC method at
``GET /stats`` (``DELETE /stats`` resets).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Any

import uvicorn
from fastmcp import FastMCP
from fastmcp.server.dependencies import get_http_headers


def build(extra_tools: int = 0) -> Any:
    mcp = FastMCP("bench")

    @mcp.tool
    def echo(text: str) -> str:
        """Echo the text back."""
        return text

    @mcp.tool
    def whoami() -> str:
        """The Authorization header seen."""
        return get_http_headers(include={"authorization"}).get("authorization", "none")

    for i in range(extra_tools):

        def make(i: int) -> Any:
            def tool(value: int) -> int:
                return value + i

            tool.__name__ = f"tool_{i:03d}"
            tool.__doc__ = f"Synthetic tool number {i}."
            return tool

        mcp.tool(make(i))

    inner = mcp.http_app(path="/mcp/bench/server")
    counts: Counter[str] = Counter()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/stats":
            if scope["method"] == "DELETE":
                counts.clear()
            body = json.dumps(counts).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        if scope["type"] == "http" and scope["path"].startswith("/mcp/"):
            if scope["method"] == "POST":
                chunks = []
                while True:
                    message = await receive()
                    chunks.append(message.get("body", b""))
                    if not message.get("more_body"):
                        break
                raw = b"".join(chunks)
                try:
                    counts[str(json.loads(raw).get("method", "response"))] += 1
                except ValueError:
                    counts["invalid"] += 1
                receive = _replay(raw, receive)
            else:
                counts[scope["method"]] += 1
            path = "/mcp/bench/server"
            scope = {**scope, "path": path, "raw_path": path.encode()}
        await inner(scope, receive, send)

    return app


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
    port = int(sys.argv[1])
    tools = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    uvicorn.run(
        build(tools), host="127.0.0.1", port=port, log_level="error", timeout_keep_alive=120
    )
