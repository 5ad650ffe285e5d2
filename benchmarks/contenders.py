"""Every way of calling the echo tool that the benchmarks compare: a table of rows.

A row says how the report names and groups a contender, which framework runs its agent
turn (None: the turn is three calls at once, the floor) and how it is opened. Opened
against a server, a contender serves users: ``await started.user(token)`` does what that
integration needs before a user's first call (the peers build that user's tools, since
their tools carry the user's headers; ours need nothing: one tool list serves everyone)
and returns a :class:`User` whose ``call()`` makes one tool call as an agent would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import warnings
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, ClassVar

TEXT = "bench"
SERVER = "bench"
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

        async def echo(text: str) -> str:
            """Echo the text back."""
            result = await client.call_tool_mcp("echo", {"text": text})
            return str(result.content[0].text)

        tool = StructuredTool.from_function(coroutine=echo, name="echo")
        return User(
            lambda: tool.ainvoke(tool_call()), [tool], close=lambda: self.close_client(client)
        )


class ThinLlamaIndex(FastMCPReused):
    """The thinnest LlamaIndex tool: an async ``FunctionTool`` over a reused Client."""

    async def user(self, token: str) -> User:
        from llama_index.core.tools import FunctionTool

        client = await self.open_client(token)

        async def echo(text: str) -> str:
            """Echo the text back."""
            result = await client.call_tool_mcp("echo", {"text": text})
            return str(result.content[0].text)

        tool = FunctionTool.from_defaults(async_fn=echo, name="echo")
        return User(lambda: tool.acall(text=TEXT), [tool], close=lambda: self.close_client(client))


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


# -- the table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Contender:
    key: str
    name: str
    family: str
    """ "ours", "floor" or "peer": how the tables and the plots group rows."""
    framework: str | None
    """Whose agent runs its turn: "langchain", "llamaindex", or None (three calls at once)."""
    kind: type[Started]
    what: str
    """What it does, for the report."""
    session_per_call: bool = False
    remote: bool = False
    """It cannot be imported beside mcp 2: run in the peer interpreter when one is given."""

    def open(self, url: str) -> Started:
        return self.kind(url)


PEER_VENV = "~/.cache/mcp-gateway-tools/peers"
_OURS_LC = (
    "`GatewayToolkit(gateway, servers).aget_tools()` once; each call `await tool.ainvoke("
    "tool_call, config={'configurable': {'user_token': SecretStr(token)}})`"
)
_SPC = "a session (and a connection) per tool call"
CONTENDERS = {
    c.key: c
    for c in (
        Contender("ours-langchain", "ours: LangChain GatewayTool", "ours", "langchain",
                  OursLangChain, _OURS_LC),
        Contender("ours-langchain-32", "ours: LangChain, max_sessions=32", "ours", "langchain",
                  OursLangChainBounded, "the same with `Gateway(url, max_sessions=32)`"),
        Contender("ours-llamaindex", "ours: LlamaIndex GatewayTool", "ours", "llamaindex",
                  OursLlamaIndex, "`GatewayToolSpec(...).to_tool_list_async()` once; each "
                  "call `await tool.acall(text=...)` under `user_token(token)`"),
        Contender("fastmcp-reused", "fastmcp Client, reused (one per user)", "floor", None,
                  FastMCPReused, "`Client(url, auth=token)` opened once per user, "
                  "`call_tool_mcp` (no result conversion): the floor for a held session"),
        Contender("fastmcp-stateless", "fastmcp Client, reused, stateless 2026-07-28",
                  "floor", None, FastMCPStateless, "the same with `mode='2026-07-28'`: "
                  "the stateless revision adopted without `server/discover`"),
        Contender("fastmcp-fresh", "fastmcp Client, fresh per call", "floor", None,
                  FastMCPFresh, "`async with Client(url, auth=token)` around every call",
                  session_per_call=True),
        Contender("thin-langchain", "thinnest LangChain StructuredTool, reused Client",
                  "floor", "langchain", ThinLangChain, "`StructuredTool.from_function("
                  "coroutine=...)` calling `call_tool_mcp` on a reused Client, text out"),
        Contender("thin-llamaindex", "thinnest LlamaIndex FunctionTool, reused Client",
                  "floor", "llamaindex", ThinLlamaIndex, "`FunctionTool.from_defaults("
                  "async_fn=...)` calling `call_tool_mcp` on a reused Client, text out"),
        Contender("raw-httpx2", "raw httpx2 JSON-RPC POST", "floor", None, RawHttpx2,
                  "`initialize` once, then one `tools/call` POST per call: the physical floor"),
        Contender("langchain.mcp", "langchain.mcp (session per call)", "peer", "langchain",
                  LangChainMCP, f"`MCPAdapter(Client(url, auth=token)).list_tools()` per "
                  f"user, {_SPC}", session_per_call=True),
        Contender("langchain.mcp-held", "langchain.mcp, adapter held open", "peer",
                  "langchain", LangChainMCPHeld, "the adapter kept open with `async with "
                  "adapter` (one session per user, never shared)"),
        Contender("langchain-mcp-adapters", "langchain-mcp-adapters (session per call)", "peer",
                  "langchain", LangChainMCPAdapters, "`MultiServerMCPClient({...headers...})"
                  f".get_tools()` per user, {_SPC}; in its own interpreter (mcp<2), each call "
                  "forwarded over a pipe (~0.1 ms)", session_per_call=True, remote=True),
        Contender("llama-index-tools-mcp", "llama-index-tools-mcp (session per call)", "peer",
                  "llamaindex", LlamaIndexMCP, "`McpToolSpec(BasicMCPClient(url, headers=...))"
                  f".to_tool_list_async()` per user, {_SPC}", session_per_call=True),
    )
}  # fmt: skip


def name(key: str) -> str:
    return CONTENDERS[key].name


# -- an agent turn -----------------------------------------------------------------------

TURN_CALLS = 3


async def agent_turn(contender: Contender, user: User) -> object:
    """One agent turn in which the model asks for three echo calls at once, then answers:
    the framework's own agent (LangGraph ``create_agent``, LlamaIndex ``FunctionAgent``)
    with the shipped scripted models, or, with no framework, three calls gathered."""
    if contender.framework is None:
        return await asyncio.gather(*(user.call() for _ in range(TURN_CALLS)))
    if user.agent is None:
        user.agent = _agent(contender.framework, user.tools)
    with user.scope():
        if contender.framework == "llamaindex":
            return await user.agent.run("echo, three times")
        return await user.agent.ainvoke({"messages": [("user", "echo x3")]}, config=user.config)


def _agent(framework: str, tools: list[Any]) -> Any:
    calls = [("echo", {"text": TEXT})] * TURN_CALLS
    if framework == "llamaindex":
        from llama_index.core.agent.workflow import FunctionAgent

        from mcp_gateway_tools.llamaindex.testing import scripted_llm

        return FunctionAgent(tools=tools, llm=scripted_llm(calls))
    from langchain.agents import create_agent
    from langchain_core.messages import AIMessage, ToolMessage

    from mcp_gateway_tools.langchain.testing import ScriptedChatModel, since_last_human
    from mcp_gateway_tools.langchain.testing import tool_call as scripted_call

    def plan(messages: Any) -> AIMessage:
        if any(isinstance(m, ToolMessage) for m in since_last_human(messages)):
            return AIMessage(content="done")
        return AIMessage(content="", tool_calls=[scripted_call(n, a) for n, a in calls])

    return create_agent(ScriptedChatModel(plan=plan, disable_streaming=True), tools)
