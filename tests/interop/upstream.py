"""The MCP server behind every gateway: it tells each caller who it thinks they are.

A fastmcp server (in the project venv) whose ``whoami`` tool answers with the
Authorization and forwarded headers its request carried, so a test can assert that a
user's call reached the upstream with that user's own identity, whichever gateway sat
in between. With a ``verify`` function it is an OAuth-protected resource: a call
without a bearer token ``verify`` accepts is answered with an ``isError`` result.
Run as a module (``python -m tests.interop.upstream``) it serves stdio, for gateways
that spawn their servers (mcp-proxy).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastmcp import FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.server.dependencies import get_http_headers


def _identity_headers(headers: dict[str, str]) -> dict[str, str]:
    """The headers that can say who the caller is: every ``x-*`` header a gateway
    forwarded (ContextForge's ``X-Forwarded-User-*``, LiteLLM's per-server ones)."""
    return {k: v for k, v in sorted(headers.items()) if k.startswith("x-")}


def echo_server(name: str = "echo", verify: Callable[[str], str | None] | None = None) -> FastMCP:
    """``whoami`` reports the caller's identity headers; ``echo`` returns its text."""
    mcp = FastMCP(name)

    def identity() -> dict[str, Any]:
        headers = get_http_headers(include_all=True)
        seen = _identity_headers(headers)
        authorization = headers.get("authorization")
        user = None
        if verify is not None:
            token = (authorization or "").removeprefix("Bearer ").strip()
            user = verify(token) if token else None
            if user is None:
                raise ToolError("401: this upstream needs a valid OAuth access token")
        return {"server": name, "authorization": authorization, "user": user, "headers": seen}

    @mcp.tool
    def whoami() -> dict[str, Any]:
        """Who this server thinks is calling: the identity headers it received."""
        return identity()

    @mcp.tool
    def echo(text: str) -> str:
        """Return ``text`` unchanged."""
        identity()  # a protected upstream refuses callers it does not know
        return text

    return mcp


def echo_app(name: str = "echo", verify: Callable[[str], str | None] | None = None) -> Any:
    """The streamable-HTTP ASGI app of :func:`echo_server`, at ``/mcp``."""
    return echo_server(name, verify).http_app(path="/mcp")


if __name__ == "__main__":
    echo_server("stdio-echo").run(transport="stdio", show_banner=False)
