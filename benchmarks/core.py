"""Core benchmark: the Gateway against a raw fastmcp Client, side by side, in one run.

    .venv/bin/python benchmarks/core.py

1. warm call: ``Gateway.call_tool`` on its pooled session vs a reused open fastmcp Client;
2. a new user's first call: through a warm Gateway (shared TLS context and connection
   pool) vs a fresh fastmcp Client (what per-call adapters do);
3. HTTP requests per warm call, counted at the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import alternate, echo_server, stats, table
from fastmcp import Client

from mcp_gateway_tools import Gateway


async def main() -> None:
    with echo_server() as url:
        endpoint = f"{url}/mcp/bench/server"
        gw = Gateway(url)
        raw = Client(endpoint, auth="warm-user")
        await raw.__aenter__()
        if True:
            await raw.call_tool_mcp("echo", {"text": "x"})
            await gw.call_tool("bench", "echo", {"text": "x"}, token="warm-user")

            warm = await alternate(
                {
                    "core Gateway.call_tool (warm)": lambda: gw.call_tool(
                        "bench", "echo", {"text": "x"}, token="warm-user"
                    ),
                    "raw fastmcp Client, reused": lambda: raw.call_tool_mcp("echo", {"text": "x"}),
                },
                rounds=10,
                per_round=30,
            )
            stats(url, reset=True)
            for _ in range(50):
                await gw.call_tool("bench", "echo", {"text": "x"}, token="warm-user")
            per_call = stats(url)
        with contextlib.suppress(Exception):  # fastmcp's own close is not what we measure
            await raw.__aexit__(None, None, None)

        users = itertools.count()

        async def core_new_user() -> None:
            await gw.call_tool("bench", "echo", {"text": "x"}, token=f"user-{next(users)}")

        async def fresh_client() -> None:
            async with Client(endpoint, auth=f"fresh-{next(users)}") as client:
                await client.call_tool_mcp("echo", {"text": "x"})

        first = await alternate(
            {"core, new user's first call": core_new_user, "fresh fastmcp Client": fresh_client},
            rounds=8,
            per_round=6,
        )
        await gw.aclose()

    print(f"# Core benchmark ({platform.python_version()}, {platform.machine()}, loopback)\n")
    print("## Warm call\n")
    print(table(warm, "raw fastmcp Client, reused"))
    print("\n## First call of a new user\n")
    print(table(first, "fresh fastmcp Client"))
    print(f"\n## HTTP requests for 50 warm calls (at the server): {per_call}")


if __name__ == "__main__":
    asyncio.run(main())
