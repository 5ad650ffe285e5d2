"""Verify langchain-mcp-adapters against the dev gateway, from a SEPARATE virtualenv.

langchain-mcp-adapters 0.3.x requires ``mcp<2`` (0.3.1 does not even import with the
mcp 2.3 this project uses), so it cannot live in the project's venv. To re-run::

    python3 -m venv /tmp/peervenv
    /tmp/peervenv/bin/pip install "langchain-mcp-adapters==0.3.2" langchain
    .venv/bin/mcp-gateway-tools dev-gateway --port 18787 &      # project venv
    /tmp/peervenv/bin/python tests/docs/peer_langchain_mcp_adapters.py http://127.0.0.1:18787

It prints one line per fact; the README's comparison table quotes them. Not collected
by pytest (the file name does not start with ``test_``).
"""

from __future__ import annotations

import asyncio
import json
import sys
import traceback
from typing import Any

import httpx

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:18787"
ALICE, BOB = "dev-pat-alice", "dev-pat-bob"
COUNT = {"initialize": 0}
_send = httpx.AsyncClient.send


async def _counting_send(self: httpx.AsyncClient, request: httpx.Request, **kw: Any) -> Any:
    if str(request.url).startswith(BASE) and request.method == "POST":
        try:
            if json.loads(request.content or b"{}").get("method") == "initialize":
                COUNT["initialize"] += 1
        except (ValueError, AttributeError):
            pass
    return await _send(self, request, **kw)


httpx.AsyncClient.send = _counting_send  # type: ignore[method-assign]


def url(server: str) -> str:
    return f"{BASE}/mcp/{server}/server"


def describe(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(exc))
    leaves = []
    stack = [exc]
    while stack:
        e = stack.pop()
        if isinstance(e, BaseExceptionGroup):
            stack.extend(e.exceptions)
        else:
            leaves.append(f"{type(e).__name__}({str(e)[:80]!r})")
    return (
        f"raises {type(exc).__name__} -> {', '.join(leaves)}; link visible: {'/consent/' in text}"
    )


async def main() -> None:
    from langchain_mcp_adapters.client import MultiServerMCPClient
    from langchain_mcp_adapters.interceptors import MCPToolCallRequest

    def conn(server: str, token: str) -> dict[str, Any]:
        return {
            "transport": "streamable_http",
            "url": url(server),
            "headers": {"Authorization": f"Bearer {token}"},
        }

    try:
        await MultiServerMCPClient({"mail": conn("mail", ALICE)}).get_tools()
        print("401 at connect (get_tools, mail): no error")
    except BaseException as exc:
        print("401 at connect (get_tools, mail):", describe(exc))

    tools = {
        t.name: t for t in await MultiServerMCPClient({"ws": conn("workspace", ALICE)}).get_tools()
    }
    call = {"type": "tool_call", "name": "list_messages", "args": {}, "id": "c1"}
    try:
        result = await tools["list_messages"].ainvoke(call)
        print("401 on a tool call (workspace/list_messages): returns", repr(result)[:200])
    except BaseException as exc:
        print("401 on a tool call (workspace/list_messages):", describe(exc))

    COUNT["initialize"] = 0
    for _ in range(3):
        await tools["search_docs"].ainvoke({"query": "vpn"})
    print(f"session reuse: 3 tool calls from get_tools() tools -> {COUNT['initialize']} initialize")

    client = MultiServerMCPClient({"ws": conn("workspace", ALICE)})
    from langchain_mcp_adapters.tools import load_mcp_tools

    COUNT["initialize"] = 0
    async with client.session("ws") as session:
        held = {t.name: t for t in await load_mcp_tools(session)}
        for _ in range(3):
            await held["search_docs"].ainvoke({"query": "vpn"})
    print(f"session reuse: 3 calls inside client.session() -> {COUNT['initialize']} initialize")

    # Per-user binding: headers are fixed per connection (one identity per client);
    # a tool interceptor the app writes can swap them per call. Needs Alice and Bob to
    # have consented to mail (the launcher below does it).
    import contextvars

    current: contextvars.ContextVar[str | None] = contextvars.ContextVar("tok", default=None)

    async def per_user(request: MCPToolCallRequest, handler: Any) -> Any:
        token = current.get()
        if token:
            request = request.override(headers={"Authorization": f"Bearer {token}"})
        return await handler(request)

    plain = {t.name: t for t in await MultiServerMCPClient({"m": conn("mail", ALICE)}).get_tools()}
    schema = plain["mail_whoami"].args_schema
    props = schema if isinstance(schema, dict) else schema.model_json_schema()
    print("tool schema has no token parameter:", "token" not in json.dumps(props).lower())
    current.set(BOB)
    seen = await plain["mail_whoami"].ainvoke({})
    print("without interceptor, a call 'for Bob' runs as:", _user(seen))
    swapped = {
        t.name: t
        for t in await MultiServerMCPClient(
            {"m": conn("mail", ALICE)}, tool_interceptors=[per_user]
        ).get_tools()
    }
    print(
        "with an app-written interceptor, the call runs as:",
        _user(await swapped["mail_whoami"].ainvoke({})),
    )


def _user(result: Any) -> str:
    text = result if isinstance(result, str) else json.dumps(result, default=str)
    for name in ("alice", "bob"):
        if f"{name}@example.com" in text:
            return name
    return "unknown: " + text[:100]


asyncio.run(main())
