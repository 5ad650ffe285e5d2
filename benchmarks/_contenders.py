"""Every way of calling the echo tool that the benchmarks compare, behind one interface.

A contender is started once against a server (``start``), then serves users:
``await contender.user(token)`` does whatever that integration needs before a user's
first call (for the peers: build that user's tools, since their tools carry the user's
headers; for ours: nothing, one tool list serves every user) and returns a
:class:`UserSession` whose ``call()`` makes one tool call the way an agent would.

- ours, LangChain: ``GatewayTool.ainvoke(tool_call, config={"configurable": {"user_token":
  SecretStr(...)}})``
- ours, LlamaIndex: ``GatewayTool.acall(text=...)`` under ``user_token(...)``
- raw fastmcp Client: one open client per user, ``call_tool_mcp`` (the floor)
- raw httpx2: JSON-RPC ``tools/call`` POSTs on an initialized session (the physical floor)
- langchain.mcp (langchain 1.5): ``MCPAdapter(Client(url, auth=token)).list_tools()``;
  each tool call opens its own session (``async with client`` inside the tool);
  ``held`` keeps the adapter open instead, the best a caller can do per user
- langchain-mcp-adapters: ``MultiServerMCPClient(...).get_tools()`` (session per call)
- llama-index-tools-mcp: ``McpToolSpec(BasicMCPClient(url, headers=...))`` (session per call)
"""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx2

TEXT = "bench"
SERVER = "bench"

Call = Callable[[], Awaitable[object]]


class Unavailable(RuntimeError):
    """This contender cannot run on the installed stack (the reason is reported)."""


@dataclass
class UserSession:
    """What one user holds: a way to call the tool, and what to release afterwards."""

    call: Call
    close: Callable[[], Awaitable[None]] | None = None

    async def aclose(self) -> None:
        if self.close is not None:
            await self.close()


def tool_call(text: str = TEXT) -> dict[str, Any]:
    """The input an agent hands a LangChain tool (so the result is a ToolMessage)."""
    return {"name": "echo", "args": {"text": text}, "id": "call-1", "type": "tool_call"}


class Contender:
    key = ""
    name = ""
    family = ""
    """ "ours", "floor" or "peer": how the tables and the plot group rows."""
    session_per_call = False
    """True when every tool call opens (and closes) its own MCP session."""

    loader = "loader"
    """The token ours list the tools with at start (any identity may list)."""

    def __init__(self) -> None:
        self.url = ""
        self.endpoint = ""
        self.inflight = 0
        self.held = 0

    async def start(self, url: str) -> None:
        self.url = url
        self.endpoint = f"{url}/mcp/{SERVER}/server"

    async def user(self, token: str) -> UserSession:
        raise NotImplementedError

    def open_sessions(self) -> int:
        """MCP sessions open on the client side now (pooled, held, or in flight)."""
        return self.held + self.inflight

    async def aclose(self) -> None:
        return None

    def _counted(self, call: Call) -> Call:
        """Count a session-per-call contender's calls in flight as open sessions."""

        async def counted() -> object:
            self.inflight += 1
            try:
                return await call()
            finally:
                self.inflight -= 1

        return counted


# -- ours --------------------------------------------------------------------------------


class _Ours(Contender):
    family = "ours"

    def __init__(self, **gateway_options: Any) -> None:
        super().__init__()
        self.options = gateway_options
        self.gateway: Any = None

    async def start(self, url: str) -> None:
        from mcp_gateway_tools import Gateway

        await super().start(url)
        self.gateway = Gateway(url, **self.options)

    def open_sessions(self) -> int:
        return int(self.gateway.open_sessions()) if self.gateway is not None else 0

    async def aclose(self) -> None:
        if self.gateway is not None:
            await self.gateway.aclose()


class OursLangChain(_Ours):
    key = "ours-langchain"
    name = "ours: LangChain GatewayTool"

    async def start(self, url: str) -> None:
        from mcp_gateway_tools.langchain import GatewayToolkit

        await super().start(url)
        tools = await GatewayToolkit(self.gateway, [SERVER]).aget_tools(token=self.loader)
        self.tool = next(t for t in tools if t.name == "echo")

    async def user(self, token: str) -> UserSession:
        from pydantic import SecretStr

        # SecretStr: langchain-core copies plain-str configurable values into run metadata
        config = {"configurable": {"user_token": SecretStr(token)}}
        tool = self.tool

        async def call() -> object:
            return await tool.ainvoke(tool_call(), config=config)

        return UserSession(call)


class OursLangChainBounded(OursLangChain):
    key = "ours-langchain-32"
    name = "ours: LangChain, max_sessions=32"

    def __init__(self) -> None:
        super().__init__(max_sessions=32)


class OursLlamaIndex(_Ours):
    key = "ours-llamaindex"
    name = "ours: LlamaIndex GatewayTool"

    async def start(self, url: str) -> None:
        from mcp_gateway_tools.llamaindex import GatewayToolSpec

        await super().start(url)
        tools = await GatewayToolSpec(self.gateway, [SERVER]).to_tool_list_async(token=self.loader)
        self.tool = next(t for t in tools if t.metadata.name == "echo")

    async def user(self, token: str) -> UserSession:
        from mcp_gateway_tools import user_token

        tool = self.tool

        async def call() -> object:
            with user_token(token):
                return await tool.acall(text=TEXT)

        return UserSession(call)


# -- floors ------------------------------------------------------------------------------


class RawFastMCP(Contender):
    key = "raw-fastmcp"
    name = "raw fastmcp Client (one per user)"
    family = "floor"

    async def user(self, token: str) -> UserSession:
        from fastmcp import Client

        client: Client[Any] = Client(self.endpoint, auth=token)
        await client.__aenter__()
        self.held += 1

        async def call() -> object:
            return await client.call_tool_mcp("echo", {"text": TEXT})

        async def close() -> None:
            self.held -= 1
            with contextlib.suppress(Exception):  # fastmcp's own close is not measured
                await client.__aexit__(None, None, None)

        return UserSession(call, close)


class RawHttpx2(Contender):
    """JSON-RPC over one shared httpx2 client: initialize once, then one POST per call."""

    key = "raw-httpx2"
    name = "raw httpx2 JSON-RPC POST"
    family = "floor"
    protocol = "2025-11-25"

    async def start(self, url: str) -> None:
        import httpx2

        await super().start(url)
        self.http = httpx2.AsyncClient(timeout=30)
        self.ids = 0

    async def _post(self, headers: dict[str, str], payload: dict[str, Any]) -> httpx2.Response:
        response = await self.http.post(self.endpoint, headers=headers, json=payload)
        response.raise_for_status()
        return response

    def _request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.ids += 1
        return {"jsonrpc": "2.0", "id": self.ids, "method": method, "params": params}

    async def user(self, token: str) -> UserSession:
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json, text/event-stream",
        }
        init = await self._post(
            headers,
            self._request(
                "initialize",
                {
                    "protocolVersion": self.protocol,
                    "capabilities": {},
                    "clientInfo": {"name": "bench", "version": "0"},
                },
            ),
        )
        headers = {
            **headers,
            "mcp-session-id": init.headers["mcp-session-id"],
            "mcp-protocol-version": self.protocol,
        }
        await self._post(headers, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        self.held += 1

        async def call() -> object:
            response = await self._post(
                headers,
                self._request("tools/call", {"name": "echo", "arguments": {"text": TEXT}}),
            )
            return _jsonrpc_result(response)

        async def close() -> None:
            self.held -= 1
            with contextlib.suppress(Exception):
                await self.http.delete(self.endpoint, headers=headers)

        return UserSession(call, close)

    async def aclose(self) -> None:
        await self.http.aclose()


def _jsonrpc_result(response: httpx2.Response) -> dict[str, Any]:
    body = response.text
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        body = next(line[5:].strip() for line in body.splitlines() if line.startswith("data:"))
    message = json.loads(body)
    if "error" in message:
        raise RuntimeError(message["error"])
    return dict(message["result"])


# -- peers -------------------------------------------------------------------------------


class LangChainMCP(Contender):
    key = "langchain.mcp"
    name = "langchain.mcp (session per call)"
    family = "peer"
    session_per_call = True

    async def user(self, token: str) -> UserSession:
        from fastmcp import Client

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # LangChainBetaWarning, once per process
            from langchain.mcp import MCPAdapter

        adapter = MCPAdapter(Client(self.endpoint, auth=token))
        tools: Any = await self._counted(adapter.list_tools)()  # listing opens a session too
        tool = next(t for t in tools if t.name == "echo")
        return UserSession(self._counted(lambda: tool.ainvoke(tool_call())))


class LangChainMCPHeld(Contender):
    key = "langchain.mcp-held"
    name = "langchain.mcp, adapter held open"
    family = "peer"

    async def user(self, token: str) -> UserSession:
        from fastmcp import Client

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from langchain.mcp import MCPAdapter

        adapter = MCPAdapter(Client(self.endpoint, auth=token))
        await adapter.__aenter__()
        self.held += 1
        tools = await adapter.list_tools()
        tool = next(t for t in tools if t.name == "echo")

        async def close() -> None:
            self.held -= 1
            with contextlib.suppress(Exception):
                await adapter.__aexit__(None, None, None)

        return UserSession(lambda: tool.ainvoke(tool_call()), close)


class LangChainMCPAdapters(Contender):
    key = "langchain-mcp-adapters"
    name = "langchain-mcp-adapters (session per call)"
    family = "peer"
    session_per_call = True

    async def start(self, url: str) -> None:
        await super().start(url)
        try:
            from langchain_mcp_adapters.client import MultiServerMCPClient
        except ImportError as exc:
            raise Unavailable(
                "langchain-mcp-adapters cannot be imported beside mcp>=2 (it requires "
                f"mcp<2): {exc}. "
                "Run it in its own interpreter: python3 -m venv .venv/peers && "
                ".venv/peers/bin/pip install 'langchain-mcp-adapters>=0.2,<0.4' psutil "
                "(benchmarks/run.py then finds it; or pass --peer-python)"
            ) from None
        self.client_class = MultiServerMCPClient

    async def user(self, token: str) -> UserSession:  # pragma: no cover - needs mcp<2
        client = self.client_class(
            {
                SERVER: {
                    "transport": "streamable_http",
                    "url": self.endpoint,
                    "headers": {"Authorization": f"Bearer {token}"},
                }
            }
        )
        tools = await self._counted(client.get_tools)()
        tool = next(t for t in tools if t.name == "echo")
        return UserSession(self._counted(lambda: tool.ainvoke(tool_call())))


class LlamaIndexMCP(Contender):
    key = "llama-index-tools-mcp"
    name = "llama-index-tools-mcp (session per call)"
    family = "peer"
    session_per_call = True

    async def user(self, token: str) -> UserSession:
        from llama_index.tools.mcp import BasicMCPClient, McpToolSpec

        client = BasicMCPClient(self.endpoint, headers={"Authorization": f"Bearer {token}"})
        tools = await self._counted(McpToolSpec(client).to_tool_list_async)()
        tool = next(t for t in tools if t.metadata.name == "echo")

        async def close() -> None:
            await client.http_client.aclose()

        return UserSession(self._counted(lambda: tool.acall(text=TEXT)), close)


CONTENDERS: dict[str, type[Contender]] = {
    c.key: c
    for c in (
        OursLangChain,
        OursLangChainBounded,
        OursLlamaIndex,
        RawFastMCP,
        RawHttpx2,
        LangChainMCP,
        LangChainMCPHeld,
        LangChainMCPAdapters,
        LlamaIndexMCP,
    )
}


def make(key: str) -> Contender:
    return CONTENDERS[key]()


def result_text(result: object) -> str:
    """Best-effort text of any contender's result, to check that the echo came back."""
    for attribute in ("content", "raw_output"):
        value = getattr(result, attribute, None)
        if value is not None:
            return str(value)
    return str(result)
