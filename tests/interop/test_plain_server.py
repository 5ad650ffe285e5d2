"""A plain MCP server URL (``http://127.0.0.1:P/mcp``, a fastmcp server, no gateway)."""

from __future__ import annotations

from mcp_gateway_tools import Gateway
from tests.support.serving import ThreadedServer


async def test_servers_alias_reaches_a_plain_mcp_server_url(upstream: ThreadedServer) -> None:
    async with Gateway(servers={"docs": f"{upstream.url}/mcp"}, token="t") as gateway:
        tools = await gateway.list_tools("docs")
        assert {t.name for t in tools} == {"whoami", "echo"}
        assert {t.server for t in tools} == {"docs"}
        result = await gateway.call_tool("docs", "whoami", {})
    assert result.structured_content["authorization"] == "Bearer t"
