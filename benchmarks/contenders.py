"""Every way of calling the echo tool that the benchmarks compare: a table of rows.

A row says how the report names and groups a contender, which framework runs its agent
turn (None: the turn is three calls at once, the floor) and how it is opened (a class
of :mod:`benchmarks.clients`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from .clients import (
    PEER_VENV,
    TEXT,
    FastMCPFresh,
    FastMCPReused,
    FastMCPStateless,
    LangChainMCP,
    LangChainMCPAdapters,
    LangChainMCPHeld,
    LlamaIndexMCP,
    Ours,
    OursLangChain,
    OursLangChainBounded,
    OursLlamaIndex,
    RawHttpx2,
    Started,
    ThinLangChain,
    ThinLlamaIndex,
    Unavailable,
    User,
    _mcp_adapter,
    result_text,
    tool_call,
)

__all__ = ["CONTENDERS", "PEER_VENV", "Ours", "Started", "Unavailable", "User", "_mcp_adapter",
           "agent_turn", "name", "result_text", "tool_call"]  # fmt: skip


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
