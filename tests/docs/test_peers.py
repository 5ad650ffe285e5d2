"""What the peer libraries do against a gateway: the facts the README's table states.

Run against the dev gateway with the peers installed in this venv (langchain.mcp from
langchain 1.5, llama-index-tools-mcp). langchain-mcp-adapters needs ``mcp<2`` and is
checked from a separate venv by ``peer_langchain_mcp_adapters.py``. If a peer changes
behaviour, this test fails and the README must be updated with it.
"""

from __future__ import annotations

import json
import traceback
import warnings
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage

from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.langchain.testing import scripted_chat_model
from mcp_gateway_tools.llamaindex.testing import scripted_llm

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from langchain.mcp import MCPAdapter
from fastmcp import Client
from fastmcp.client.transports import StreamableHttpTransport
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.tools.mcp import BasicMCPClient, McpToolSpec

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class Opens:
    """Counts sessions opened at the gateway (initialize or server/discover POSTs)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.count = 0


@pytest.fixture
def opens(dev: DevGateway, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Opens]:
    counter = Opens(dev.base_url)
    original = httpx2.AsyncClient.send

    async def send(self: httpx2.AsyncClient, request: httpx2.Request, **kw: Any) -> Any:
        if request.method == "POST" and str(request.url).startswith(counter.base):
            try:
                method = json.loads(request.content or b"{}").get("method")
            except (ValueError, AttributeError):
                method = None
            if method in ("initialize", "server/discover"):
                counter.count += 1
        return await original(self, request, **kw)

    monkeypatch.setattr(httpx2.AsyncClient, "send", send)
    return counter  # type: ignore[return-value]


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _lc_adapter(dev: DevGateway, server: str, token: str) -> MCPAdapter:
    return MCPAdapter(Client(StreamableHttpTransport(dev.url(server), headers=_headers(token))))


def _shows_link(exc: BaseException) -> bool:
    return "/consent/" in "".join(traceback.format_exception(exc))


def _leaf_errors(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in _leaf_errors(sub)]
    return [exc]


# -- langchain.mcp (langchain 1.5, beta) -----------------------------------------------


async def test_langchain_mcp_401_at_connect_raises_without_the_link(dev: DevGateway) -> None:
    with pytest.raises(BaseException) as caught:  # noqa: PT011 - what it raises is the finding
        await _lc_adapter(dev, "mail", dev.tokens.user("alice")).list_tools()
    assert not _shows_link(caught.value)
    leaves = _leaf_errors(caught.value)
    assert any(getattr(e, "data", "x") is None for e in leaves)
    assert any("Server returned an error response" in str(e) for e in leaves)


async def test_langchain_mcp_401_on_a_call_crashes_the_agent_run(dev: DevGateway) -> None:
    tools = await _lc_adapter(dev, "workspace", dev.tokens.user("alice")).list_tools()
    agent = create_agent(scripted_chat_model(("list_messages", {})), tools)
    with pytest.raises(Exception, match="Server returned an error response") as caught:
        await agent.ainvoke({"messages": [HumanMessage("my mail?")]})
    assert not _shows_link(caught.value)


async def test_langchain_mcp_opens_a_session_per_call_unless_held(
    dev: DevGateway, opens: Opens
) -> None:
    adapter = _lc_adapter(dev, "knowledge", dev.tokens.service)
    search = {t.name: t for t in await adapter.list_tools()}["search_docs"]
    opens.count = 0
    for _ in range(3):
        await search.ainvoke({"query": "vpn"})
    assert opens.count == 3
    opens.count = 0
    async with adapter:
        for _ in range(3):
            await search.ainvoke({"query": "vpn"})
    assert opens.count == 1


async def test_langchain_mcp_identity_is_fixed_at_construction(dev: DevGateway) -> None:
    await dev.aconsent("alice", "mail")
    await dev.aconsent("bob", "mail")
    tools = await _lc_adapter(dev, "mail", dev.tokens.user("alice")).list_tools()
    whoami = {t.name: t for t in tools}["mail_whoami"]
    # A per-request token in the run config changes nothing: the client's headers win.
    out = await whoami.ainvoke({}, config={"configurable": {"user_token": dev.tokens.user("bob")}})
    assert "alice@example.com" in str(out)
    assert "bob@example.com" not in str(out)


# -- llama-index-tools-mcp ---------------------------------------------------------------


_li_clients: list[BasicMCPClient] = []


@pytest.fixture(autouse=True)
async def close_llamaindex_clients() -> AsyncIterator[None]:
    """BasicMCPClient builds an httpx2 client it never closes; close it for it."""
    yield
    while _li_clients:
        await _li_clients.pop().http_client.aclose()


def _li_spec(dev: DevGateway, server: str, token: str) -> McpToolSpec:
    client = BasicMCPClient(dev.url(server), headers=_headers(token))
    _li_clients.append(client)
    return McpToolSpec(client)


async def test_llamaindex_mcp_401_at_connect_raises_without_the_link(dev: DevGateway) -> None:
    with pytest.raises(BaseException) as caught:  # noqa: PT011 - what it raises is the finding
        await _li_spec(dev, "mail", dev.tokens.user("alice")).to_tool_list_async()
    assert not _shows_link(caught.value)
    assert any("Server returned an error response" in str(e) for e in _leaf_errors(caught.value))


async def test_llamaindex_mcp_401_on_a_call_is_an_opaque_error_output(dev: DevGateway) -> None:
    tools = await _li_spec(dev, "workspace", dev.tokens.user("alice")).to_tool_list_async()
    agent = FunctionAgent(tools=tools, llm=scripted_llm([("list_messages", {})]))
    handler = agent.run("my mail?")
    results = [ev async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)]
    await handler
    (result,) = results
    assert result.tool_output.is_error
    assert "/consent/" not in str(result.tool_output.content)
    assert "TaskGroup" in str(result.tool_output.content)  # what the model is shown


async def test_llamaindex_mcp_opens_a_session_per_call(dev: DevGateway, opens: Opens) -> None:
    tools = await _li_spec(dev, "knowledge", dev.tokens.service).to_tool_list_async()
    search = {t.metadata.name: t for t in tools}["search_docs"]
    opens.count = 0
    for _ in range(3):
        await search.acall(query="vpn")
    assert opens.count == 3


async def test_llamaindex_mcp_identity_is_fixed_at_construction(dev: DevGateway) -> None:
    await dev.aconsent("alice", "mail")
    await dev.aconsent("bob", "mail")
    tools = await _li_spec(dev, "mail", dev.tokens.user("alice")).to_tool_list_async()
    agent = FunctionAgent(tools=tools, llm=scripted_llm([("mail_whoami", {})]))
    from llama_index.core.workflow import Context

    ctx = Context(agent)
    await ctx.store.set("user_token", dev.tokens.user("bob"))
    handler = agent.run("who am I?", ctx=ctx)
    results = [ev async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)]
    await handler
    assert "alice@example.com" in str(results[0].tool_output.content)
