"""The client introduces itself to servers with the package's own version."""

from __future__ import annotations

from fastmcp import Context, FastMCP

import mcp_gateway_tools
from mcp_gateway_tools import Gateway
from tests.support.serving import serve


def _introspecting_server() -> FastMCP:
    mcp = FastMCP("introspect")

    @mcp.tool
    def client_info(ctx: Context) -> str:
        """The clientInfo this session was initialised with, as 'name version'."""
        info = ctx.session.client_params.client_info  # type: ignore[union-attr]
        return f"{info.name} {info.version}"

    return mcp


async def test_client_info_carries_the_package_version() -> None:
    app = _introspecting_server().http_app(path="/mcp/introspect/server")
    with serve(app) as server:
        async with Gateway(server.url, token="service-token") as gateway:
            result = await gateway.call_tool("introspect", "client_info", {})
    assert result.text == f"mcp-gateway-tools {mcp_gateway_tools.__version__}"
