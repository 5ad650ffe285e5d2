"""The measuring steps. Each fills its part of the :class:`~benchmarks.data.Report`.

Contenders alternate round by round, so load from elsewhere on the (shared) machine
hits them alike; every ratio the report shows is computed within one run.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from .child import Remote
from .contenders import CONTENDERS, User, agent_turn
from .data import Report
from .harness import (
    Timed,
    _none,
    _settled,
    alternate,
    checked,
    close_all,
    free_port,
    log,
    open_all,
    set_round_trip,
    stats,
)
from .steps_load import identities, many

# -- at a distance: first call, warm call, agent turn ------------------------------------


async def distance(url: str, report: Report) -> None:
    """At each round-trip time: a new user's first call, warm calls, an agent turn."""
    cfg = report.config
    started = await open_all(cfg.contenders_at(0), url, report)
    tokens = itertools.count()
    warm: dict[str, User] = {}
    for key, opened in started.items():
        warm[key] = await opened.user(f"warm-{key}")
        for _ in range(2):
            checked(key, await warm[key].call())
        await agent_turn(CONTENDERS[key], warm[key])
    try:
        for rtt in cfg.round_trips_ms:
            set_round_trip(url, rtt)
            keys = [k for k in cfg.contenders_at(rtt) if k in started]
            sizes = cfg.sizes(rtt)

            def first(key: str) -> Timed:
                async def op() -> Callable[[], Awaitable[None]]:
                    user = await started[key].user(f"first-{next(tokens)}")
                    await user.call()
                    return user.aclose

                return op

            def turn(key: str) -> Timed:
                return lambda: _none(agent_turn(CONTENDERS[key], warm[key]))

            measures = {
                "first": {k: first(k) for k in keys if k in cfg.first},
                "warm": {k: (lambda c=warm[k].call: _none(c())) for k in keys},
                "turn": {k: turn(k) for k in keys if k in cfg.turn},
            }
            for measure, ops in measures.items():
                rounds, per_round = sizes[measure]
                t0 = time.perf_counter()
                prime = measure == "warm"
                results = await alternate(ops, rounds=rounds, per_round=per_round, prime=prime)
                log(f"  {measure} at {rtt:g} ms: {time.perf_counter() - t0:.0f} s")
                for key, samples in results.items():
                    if isinstance(started[key], Remote):
                        samples.cpu.clear()  # this process's CPU says nothing about another's
                report.tables[f"{measure}@{rtt:g}"] = results
    finally:
        set_round_trip(url, 0)
        await close_all(started, list(warm.values()))


async def round_trips(url: str, report: Report) -> None:
    """Requests and new connections at the server: per new user's first call, per warm
    call and per agent turn, one contender at a time."""
    cfg = report.config
    started = await open_all(cfg.contenders_at(0), url, report)
    try:
        for key, opened in started.items():
            counts: dict[str, dict[str, float]] = {}
            before = await opened.user(f"counted-before-{key}")  # the process is serving
            checked(key, await before.call())  # others already: its connections are open
            await before.aclose()
            await _settled(url)
            user = await opened.user(f"counted-{key}")
            checked(key, await user.call())
            counts["first"] = await _settled(url)
            for _ in range(cfg.counted_calls):
                await user.call()
            counts["warm"] = {m: n / cfg.counted_calls for m, n in (await _settled(url)).items()}
            await agent_turn(CONTENDERS[key], user)
            counts["turn"] = await _settled(url)
            await user.aclose()
            report.counts[key] = counts
    finally:
        await close_all(started, [])


# -- the LangChain overhead --------------------------------------------------------------


async def overhead(url: str, report: Report) -> None:
    """Ours against the thinnest LangChain tool over a reused Client, warm, alternating;
    then where each one's CPU goes."""
    cfg = report.config
    keys = ["ours-langchain", "thin-langchain", "fastmcp-reused"]
    started = await open_all(keys, url, report)
    users = {k: await s.user("overhead-user") for k, s in started.items()}
    for key, user in users.items():
        checked(key, await user.call())
    ops = {k: (lambda c=u.call: _none(c())) for k, u in users.items()}
    rounds, per_round = cfg.overhead
    report.tables["overhead"] = await alternate(ops, rounds=rounds, per_round=per_round)
    for key in ("ours-langchain", "thin-langchain"):
        report.profile[key] = await _attributed(users[key].call, rounds * per_round)
    await close_all(started, list(users.values()))


GROUPS = [("ours", "mcp_gateway_tools"), ("LangChain", "langchain"), ("pydantic", "pydantic"),
          ("jsonschema (the SDK's result check; ours: arguments too)", "jsonschema"),
          ("MCP SDK (fastmcp, mcp)", "mcp"), ("HTTP (httpx2, httpcore2, anyio)", "http"),
          ("HTTP (httpx2, httpcore2, anyio)", "anyio"), ("event loop", "asyncio")]  # fmt: skip


async def _attributed(call: Callable[[], Awaitable[object]], n: int) -> dict[str, Any]:
    """CPU per call by package (cProfile on process time, so waiting is not counted),
    and our own functions: what the difference to the thinnest tool is made of."""
    import cProfile
    import pstats

    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for _ in range(n):
        await call()
    profile.disable()
    groups: dict[str, float] = {}
    ours: dict[str, float] = {}
    for (path, _, _), (_, _, tottime, _, _) in pstats.Stats(profile).stats.items():  # type: ignore[attr-defined]
        group = next((g for g, part in GROUPS if part in path), "other")
        groups[group] = groups.get(group, 0.0) + tottime * 1000 / n
        if group == "ours":
            module = path.split("mcp_gateway_tools/")[-1]
            ours[module] = ours.get(module, 0.0) + tottime * 1000 / n
    return {"groups": groups, "ours": ours}


# -- loading tools, through the dev gateway ----------------------------------------------


async def loading(url: str, report: Report) -> None:
    """Tool lists of ``load_servers`` servers with ``load_tools`` tools each."""
    from llama_index.tools.mcp import BasicMCPClient, McpToolSpec

    from mcp_gateway_tools import Gateway
    from mcp_gateway_tools.langchain import GatewayToolkit
    from mcp_gateway_tools.llamaindex import GatewayToolSpec

    from .contenders import _mcp_adapter

    cfg = report.config
    servers = [f"load{i}" for i in range(cfg.load_servers)]
    endpoints = [f"{url}/mcp/{s}/server" for s in servers]

    def check(lists: list[list[Any]]) -> None:
        if sum(map(len, lists)) != cfg.load_tools * cfg.load_servers:
            raise RuntimeError(f"tool loading: {sum(map(len, lists))} tools")

    def ours(build: Callable[[Any], Awaitable[list[Any]]]) -> tuple[Timed, Timed]:
        gateway: list[Any] = []

        async def cold() -> Callable[[], Awaitable[None]]:
            gateway.append(Gateway(url))
            check([await build(gateway[-1])])
            return lambda: asyncio.sleep(0)

        async def cached() -> Callable[[], Awaitable[None]]:
            check([await build(gateway[-1])])
            return gateway.pop().aclose

        return cold, cached

    async def langchain_mcp() -> None:
        check(await asyncio.gather(*(_mcp_adapter(e, "loader").list_tools() for e in endpoints)))

    async def llama_mcp() -> Callable[[], Awaitable[None]]:
        clients = [BasicMCPClient(e, headers={"Authorization": "Bearer loader"}) for e in endpoints]
        check(list(await asyncio.gather(*(McpToolSpec(c).to_tool_list_async() for c in clients))))
        return lambda: _none(asyncio.gather(*(c.http_client.aclose() for c in clients)))

    lc_cold, lc_cached = ours(lambda g: GatewayToolkit(g, servers).aget_tools(token="loader"))
    li_cold, li_cached = ours(
        lambda g: GatewayToolSpec(g, servers).to_tool_list_async(token="loader")
    )
    ops: dict[str, Timed] = {
        "ours: LangChain GatewayToolkit, cold": lc_cold,
        "ours: LangChain GatewayToolkit, cached": lc_cached,
        "ours: LlamaIndex GatewayToolSpec, cold": li_cold,
        "ours: LlamaIndex GatewayToolSpec, cached": li_cached,
        "langchain.mcp MCPAdapter.list_tools x servers": lambda: _none(langchain_mcp()),
        "llama-index-tools-mcp McpToolSpec x servers": llama_mcp,
    }
    report.tables["loading"] = await alternate(ops, rounds=cfg.load_rounds, per_round=1, cpu=False)


GATEWAY_CONFIG = """
[gateway]
port = {port}

[users.bench]
email = "bench@example.com"
tokens = ["bench-user-token"]

[servers.bench]
url = "{upstream}/mcp/bench/server"
accounts = ["*"]
auth = {{ type = "none" }}
"""


async def gateway(upstream: str, report: Report) -> None:
    """Warm calls through the dev gateway (its own process) in front of the echo server."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gateway.toml"
        path.write_text(GATEWAY_CONFIG.format(port=port, upstream=upstream))
        proc = await asyncio.create_subprocess_exec(
            *[sys.executable, "-m", "mcp_gateway_tools.devgateway", "--config", str(path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "FASTMCP_LOG_LEVEL": "ERROR"},
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            await _wait_http(url, proc)
            keys = ["ours-langchain", "ours-llamaindex", "fastmcp-reused", "langchain.mcp"]
            started = {k: CONTENDERS[k].open(url) for k in keys}
            users: dict[str, User] = {}
            for key, opened in started.items():
                opened.loader = "bench-user-token"
                await opened.start()
                users[key] = await opened.user("bench-user-token")
                checked(key, await users[key].call())
            ops = {k: (lambda c=u.call: _none(c())) for k, u in users.items()}
            rounds, per_round = report.config.sizes(0)["warm"]
            report.tables["gateway"] = await alternate(ops, rounds=rounds, per_round=per_round)
            for key, user in users.items():
                stats(upstream, reset=True)
                await user.call()
                report.counts.setdefault(key, {})["gateway"] = await _settled(upstream)
            await close_all(started, list(users.values()))
        finally:
            proc.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), timeout=10)


async def _wait_http(url: str, proc: asyncio.subprocess.Process) -> None:
    import httpx2

    deadline = time.monotonic() + 120  # a busy machine starts it slowly
    async with httpx2.AsyncClient() as http:
        while True:
            try:
                await http.get(url + "/")
                return
            except httpx2.TransportError:
                if time.monotonic() > deadline or proc.returncode is not None:
                    raise RuntimeError("the dev gateway did not start") from None
                await asyncio.sleep(0.1)


STEPS: dict[str, Callable[[str, Report], Awaitable[None]]] = {
    "distance": distance,
    "round_trips": round_trips,
    "overhead": overhead,
    "many": many,
    "identities": identities,
    "loading": loading,
    "gateway": gateway,
}
