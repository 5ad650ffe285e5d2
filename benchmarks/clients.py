"""How each contender calls the echo tool (the table of them is :mod:`benchmarks.contenders`).

Opened
against a server, a contender serves users: ``await started.user(token)`` does what that
integration needs before a user's first call (the peers build that user's tools, since
their tools carry the user's headers; ours need nothing: one tool list serves everyone)
and returns a :class:`User` whose ``call()`` makes one tool call as an agent would.
"""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, ClassVar

TEXT = "bench"
SERVER = "bench"
PEER_VENV = "~/.cache/mcp-gateway-tools/peers"
LOADER = "loader"
"""The token ours list their tools with at start (any identity may list)."""

Call = Callable[[], Awaitable[object]]


class Unavailable(RuntimeError):
    """This contender cannot run on the installed stack (the reason is reported)."""


@dataclass
class User:
    """What one user holds: a tool call, the framework tools for an agent, and how
    that user's agent run carries the user's identity."""

    call: Call
    tools: list[Any] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    scope: Callable[[], AbstractContextManager[Any]] = contextlib.nullcontext
    close: Callable[[], Awaitable[None]] | None = None
    agent: Any = None

    async def aclose(self) -> None:
        if self.close is not None:
            await self.close()


def tool_call(text: str = TEXT) -> dict[str, Any]:
    """The input an agent hands a LangChain tool (so the result is a ToolMessage)."""
    return {"name": "echo", "args": {"text": text}, "id": "call-1", "type": "tool_call"}


def result_text(result: object) -> str:
    """Best-effort text of any contender's result, to check that the echo came back."""
    for attribute in ("content", "raw_output"):
        if (value := getattr(result, attribute, None)) is not None:
            return str(value)
    return str(result)


class Started:
    """A contender opened against one server."""

    def __init__(self, url: str) -> None:
        self.url, self.endpoint = url, f"{url}/mcp/{SERVER}/server"
        self.held = 0
        self.inflight = 0
        self.loader = LOADER

    async def start(self) -> None:
        return None

    async def user(self, token: str) -> User:
        raise NotImplementedError

    def open_sessions(self) -> int:
        """MCP sessions open on the client side now (pooled, held, or in flight)."""
        return self.held + self.inflight

    async def aclose(self) -> None:
        return None

    def counted(self, call: Call) -> Call:
        """Count a session-per-call contender's calls in flight as open sessions."""

        async def counted() -> object:
            self.inflight += 1
            try:
                return await call()
            finally:
                self.inflight -= 1

        return counted


# -- ours --------------------------------------------------------------------------------


class Ours(Started):
    options: ClassVar[dict[str, Any]] = {}

    async def start(self) -> None:
        from mcp_gateway_tools import Gateway

        self.gateway = Gateway(self.url, **self.options)

    def open_sessions(self) -> int:
        return int(self.gateway.open_sessions())

    async def aclose(self) -> None:
        await self.gateway.aclose()


class OursLangChain(Ours):
    async def start(self) -> None:
        from mcp_gateway_tools.langchain import GatewayToolkit

        await super().start()
        tools = await GatewayToolkit(self.gateway, [SERVER]).aget_tools(token=self.loader)
        self.tool = next(t for t in tools if t.name == "echo")

    async def user(self, token: str) -> User:
        from pydantic import SecretStr

        # SecretStr: langchain-core copies plain-str configurable values into run metadata
        config = {"configurable": {"user_token": SecretStr(token)}}
        tool = self.tool
        return User(lambda: tool.ainvoke(tool_call(), config=config), [tool], config)


class OursLangChainBounded(OursLangChain):
    options: ClassVar[dict[str, Any]] = {"max_sessions": 32}


class OursLlamaIndex(Ours):
    async def start(self) -> None:
        from mcp_gateway_tools.llamaindex import GatewayToolSpec

        await super().start()
        tools = await GatewayToolSpec(self.gateway, [SERVER]).to_tool_list_async(token=self.loader)
        self.tool = next(t for t in tools if t.metadata.name == "echo")

    async def user(self, token: str) -> User:
        from mcp_gateway_tools import user_token

        tool = self.tool

        async def call() -> object:
            with user_token(token):
                return await tool.acall(text=TEXT)

        return User(call, [tool], scope=lambda: user_token(token))


# -- floors ------------------------------------------------------------------------------


class FastMCPReused(Started):
    """One open fastmcp Client per user (``mode`` pins the protocol era when set)."""

    mode: str = "auto"

    async def open_client(self, token: str) -> Any:
        from fastmcp import Client

        client: Any = Client(self.endpoint, auth=token, mode=self.mode)
        await client.__aenter__()
        self.held += 1
        return client

    async def close_client(self, client: Any) -> None:
        self.held -= 1
        with contextlib.suppress(Exception):  # fastmcp's own close is not measured
            await client.__aexit__(None, None, None)

    async def user(self, token: str) -> User:
        client = await self.open_client(token)
        return User(
            lambda: client.call_tool_mcp("echo", {"text": TEXT}),
            close=lambda: self.close_client(client),
        )


class FastMCPStateless(FastMCPReused):
    mode = "2026-07-28"
    """Adopt the stateless revision without ``server/discover`` (the server offers it)."""


class FastMCPFresh(Started):
    async def user(self, token: str) -> User:
        from fastmcp import Client

        async def call() -> object:
            async with Client(self.endpoint, auth=token) as client:
                return await client.call_tool_mcp("echo", {"text": TEXT})

        return User(self.counted(call))


class ThinLangChain(FastMCPReused):
    """The thinnest LangChain tool: a coroutine ``StructuredTool`` over a reused Client."""

    async def user(self, token: str) -> User:
        from langchain_core.tools import StructuredTool

        client = await self.open_client(token)
        tool = StructuredTool.from_function(coroutine=_echo_over(client), name="echo")
        return User(
            lambda: tool.ainvoke(tool_call()), [tool], close=lambda: self.close_client(client)
        )


class ThinLlamaIndex(FastMCPReused):
    """The thinnest LlamaIndex tool: an async ``FunctionTool`` over a reused Client."""

    async def user(self, token: str) -> User:
        from llama_index.core.tools import FunctionTool

        client = await self.open_client(token)
        tool = FunctionTool.from_defaults(async_fn=_echo_over(client), name="echo")
        return User(lambda: tool.acall(text=TEXT), [tool], close=lambda: self.close_client(client))


def _echo_over(client: Any) -> Callable[[str], Awaitable[str]]:
    """The echo tool's function for a thinnest tool: one ``call_tool_mcp``, text out."""

    async def echo(text: str) -> str:
        """Echo the text back."""
        result = await client.call_tool_mcp("echo", {"text": text})
        return str(result.content[0].text)

    return echo


class RawHttpx2(Started):
    """JSON-RPC over one shared httpx2 client: initialize once, then one POST per call."""

    protocol = "2025-11-25"

    async def start(self) -> None:
        import httpx2

        self.http = httpx2.AsyncClient(timeout=30)
        self.ids = 0

    async def post(self, headers: dict[str, str], method: str, params: Any = None) -> Any:
        self.ids += 1
        payload: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params or {}}
        if not method.startswith("notifications/"):
            payload["id"] = self.ids
        response = await self.http.post(self.endpoint, headers=headers, json=payload)
        response.raise_for_status()
        return response

    async def user(self, token: str) -> User:
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json, text/event-stream",
        }
        info = {"name": "bench", "version": "0"}
        init = {"protocolVersion": self.protocol, "capabilities": {}, "clientInfo": info}
        response = await self.post(headers, "initialize", init)
        headers["mcp-session-id"] = response.headers["mcp-session-id"]
        headers["mcp-protocol-version"] = self.protocol
        await self.post(headers, "notifications/initialized")
        self.held += 1
        arguments = {"name": "echo", "arguments": {"text": TEXT}}

        async def call() -> object:
            return _jsonrpc_result(await self.post(headers, "tools/call", arguments))

        async def close() -> None:
            self.held -= 1
            with contextlib.suppress(Exception):
                await self.http.delete(self.endpoint, headers=headers)

        return User(call, close=close)

    async def aclose(self) -> None:
        await self.http.aclose()


def _jsonrpc_result(response: Any) -> dict[str, Any]:
    body = response.text
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        body = next(line[5:].strip() for line in body.splitlines() if line.startswith("data:"))
    message = json.loads(body)
    if "error" in message:
        raise RuntimeError(message["error"])
    return dict(message["result"])


# -- peers -------------------------------------------------------------------------------


def _mcp_adapter(endpoint: str, token: str) -> Any:
    from fastmcp import Client

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LangChainBetaWarning, once per process
        from langchain.mcp import MCPAdapter

    return MCPAdapter(Client(endpoint, auth=token))


class LangChainMCP(Started):
    async def user(self, token: str) -> User:
        tools: Any = await self.counted(_mcp_adapter(self.endpoint, token).list_tools)()
        tool = next(t for t in tools if t.name == "echo")
        return User(self.counted(lambda: tool.ainvoke(tool_call())), [tool])


class LangChainMCPHeld(Started):
    async def user(self, token: str) -> User:
        adapter = _mcp_adapter(self.endpoint, token)
        await adapter.__aenter__()
        self.held += 1
        tool = next(t for t in await adapter.list_tools() if t.name == "echo")

        async def close() -> None:
            self.held -= 1
            with contextlib.suppress(Exception):
                await adapter.__aexit__(None, None, None)

        return User(lambda: tool.ainvoke(tool_call()), [tool], close=close)


class LangChainMCPAdapters(Started):
    async def start(self) -> None:
        try:
            from langchain_mcp_adapters.client import MultiServerMCPClient
        except ImportError as exc:
            raise Unavailable(
                f"langchain-mcp-adapters cannot be imported beside mcp>=2 (it requires mcp<2): "
                f"{exc}. Give it its own interpreter: python3 -m venv {PEER_VENV} && "
                f"{PEER_VENV}/bin/pip install 'langchain-mcp-adapters>=0.2,<0.4' psutil "
                "(found there; or pass --peer-python)"
            ) from None
        self.client_class = MultiServerMCPClient

    async def user(self, token: str) -> User:  # pragma: no cover - needs mcp<2
        connection = {
            "transport": "streamable_http",
            "url": self.endpoint,
            "headers": {"Authorization": f"Bearer {token}"},
        }
        client = self.client_class({SERVER: connection})
        tool = next(t for t in await self.counted(client.get_tools)() if t.name == "echo")
        return User(self.counted(lambda: tool.ainvoke(tool_call())), [tool])


class LlamaIndexMCP(Started):
    async def user(self, token: str) -> User:
        from llama_index.tools.mcp import BasicMCPClient, McpToolSpec

        client = BasicMCPClient(self.endpoint, headers={"Authorization": f"Bearer {token}"})
        tools = await self.counted(McpToolSpec(client).to_tool_list_async)()
        tool = next(t for t in tools if t.metadata.name == "echo")
        call = self.counted(lambda: tool.acall(text=TEXT))
        return User(call, [tool], close=client.http_client.aclose)
