"""The library against a real ``mcp-proxy`` 0.13 (no authentication; no identities).

mcp-proxy serves each named stdio server at ``/servers/<name>/mcp`` and checks no
token, so there is no per-user scenario and no token error to test: the upstream sees
no caller identity at all (``authorization`` is None whatever token is sent).
"""

from __future__ import annotations

import asyncio

import pytest

from mcp_gateway_tools import Gateway, UnknownServer
from tests.interop.harness import GatewayProcess

TEMPLATE = "{base}/servers/{server}/mcp"


async def test_endpoint_template_reaches_a_named_server(mcp_proxy: GatewayProcess) -> None:
    async with Gateway(mcp_proxy.url, endpoint_template=TEMPLATE, token="unused") as gateway:
        assert {"whoami", "echo"} <= {t.name for t in await gateway.list_tools("echo")}
        result = await gateway.call_tool("echo", "echo", {"text": "proxied"})
    assert result.text == "proxied"


async def test_servers_alias_reaches_a_named_server(mcp_proxy: GatewayProcess) -> None:
    url = f"{mcp_proxy.url}/servers/echo/mcp"
    async with Gateway(servers={"tools": url}, token="unused") as gateway:
        whoami = await gateway.call_tool("tools", "whoami", {})
    assert whoami.structured_content["server"] == "stdio-echo"
    assert whoami.structured_content["authorization"] is None  # nothing reaches stdio


async def test_two_callers_at_once_get_their_own_answers(mcp_proxy: GatewayProcess) -> None:
    async with Gateway(mcp_proxy.url, endpoint_template=TEMPLATE) as gateway:
        texts = [f"caller-{i}" for i in range(8)]
        calls = [
            gateway.call_tool("echo", "echo", {"text": t}, token=f"t{i}")
            for i, t in enumerate(texts)
        ]
        results = await asyncio.gather(*calls)
    assert [r.text for r in results] == texts


async def test_unknown_server_is_unknown_server(mcp_proxy: GatewayProcess) -> None:
    async with Gateway(mcp_proxy.url, endpoint_template=TEMPLATE, token="unused") as gateway:
        with pytest.raises(UnknownServer) as raised:
            await gateway.call_tool("nosuch", "echo", {"text": "x"})
    assert raised.value.server == "nosuch"


@pytest.mark.timeout(300, func_only=True)  # a real restart: the gateway boots again
async def test_gateway_restart_the_next_call_recovers(mcp_proxy: GatewayProcess) -> None:
    async with Gateway(mcp_proxy.url, endpoint_template=TEMPLATE, token="unused") as gateway:
        assert (await gateway.call_tool("echo", "echo", {"text": "before"})).text == "before"
        await asyncio.to_thread(mcp_proxy.restart)
        after = await gateway.call_tool("echo", "echo", {"text": "after"})
    assert after.text == "after"
