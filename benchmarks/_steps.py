"""The benchmark steps: each measures its contenders side by side into the Report."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _config import REMOTE, Config, Report
from _contenders import Contender, Unavailable, UserSession, make, result_text
from _harness import Samples, alternate, stats


async def start_all(keys: list[str], url: str, report: Report) -> dict[str, Contender]:
    """Start each contender; remember the ones that cannot run here, and why."""
    started: dict[str, Contender] = {}
    for key in keys:
        contender = contender_for(key, report.config)
        try:
            await contender.start(url)
        except Unavailable as exc:
            report.unavailable[contender.name] = str(exc)
            continue
        started[key] = contender
    return started


def contender_for(key: str, cfg: Config) -> Contender:
    if key in REMOTE and cfg.peer_python:
        from _remote import RemoteContender

        return RemoteContender(key, cfg.peer_python)
    return make(key)


async def close_all(contenders: dict[str, Contender], users: list[UserSession]) -> None:
    for user in users:
        await user.aclose()
    for contender in contenders.values():
        await contender.aclose()


def checked(key: str, result: object) -> object:
    if "bench" not in result_text(result):
        raise RuntimeError(f"{key}: the echo did not come back: {result!r}")
    return result


# -- 1. warm calls -----------------------------------------------------------------------


async def bench_warm(url: str, cfg: Config, report: Report) -> None:
    contenders = await start_all(cfg.warm, url, report)
    users: list[UserSession] = []
    calls: dict[str, Callable[[], Awaitable[object]]] = {}
    for key, contender in contenders.items():
        user = await contender.user("warm-user")
        users.append(user)
        for _ in range(3):
            checked(key, await user.call())
        calls[contender.name] = user.call
    report.warm = await alternate(calls, rounds=cfg.warm_rounds, per_round=cfg.warm_per_round)
    _drop_remote_cpu(contenders, report.warm)
    await close_all(contenders, users)


def _drop_remote_cpu(contenders: dict[str, Contender], results: dict[str, Samples]) -> None:
    """This process's CPU says nothing about a contender run in another interpreter."""
    for key, contender in contenders.items():
        if key in REMOTE and contender.name in results and cfg_remote(contender):
            results[contender.name].cpu.clear()


def cfg_remote(contender: Contender) -> bool:
    from _remote import RemoteContender

    return isinstance(contender, RemoteContender)


# -- 2. a new user's first call ----------------------------------------------------------


async def bench_first(url: str, cfg: Config, report: Report) -> None:
    contenders = await start_all(cfg.first, url, report)
    for key, contender in contenders.items():  # warm the process, not the user
        user = await contender.user(f"first-warmup-{key}")
        checked(key, await user.call())
        await user.aclose()
    tokens = itertools.count()
    results = {c.name: Samples(c.name) for c in contenders.values()}
    for _ in range(cfg.first_rounds):
        for contender in contenders.values():
            for _ in range(cfg.first_per_round):
                token = f"first-{next(tokens)}"
                cpu = time.process_time()
                started = time.perf_counter()
                user = await contender.user(token)  # what a never-seen user needs first
                await user.call()
                results[contender.name].seconds.append(time.perf_counter() - started)
                results[contender.name].cpu.append(time.process_time() - cpu)
                await user.aclose()  # releasing it is not part of the first call
    _drop_remote_cpu(contenders, results)
    report.first = results
    await close_all(contenders, [])


# -- 3. many users -----------------------------------------------------------------------


async def bench_requests(url: str, cfg: Config, report: Report) -> None:
    contenders = await start_all(cfg.requests, url, report)
    for key, contender in contenders.items():
        user = await contender.user(f"requests-{key}")
        for _ in range(2):
            checked(key, await user.call())
        await asyncio.sleep(0.05)  # let background closes of the warm-up land
        stats(url, reset=True)
        for _ in range(cfg.request_calls):
            await user.call()
        counts = stats(url)
        report.requests[contender.name] = {
            method: n / cfg.request_calls for method, n in sorted(counts.items())
        }
        await user.aclose()
        await contender.aclose()


# -- 5. tool loading ---------------------------------------------------------------------


async def bench_loading(url: str, cfg: Config, report: Report) -> None:
    from fastmcp import Client
    from llama_index.tools.mcp import BasicMCPClient, McpToolSpec

    from mcp_gateway_tools import Gateway
    from mcp_gateway_tools.langchain import GatewayToolkit
    from mcp_gateway_tools.llamaindex import GatewayToolSpec

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from langchain.mcp import MCPAdapter

    servers = [f"load{i}" for i in range(cfg.load_servers)]
    endpoints = [f"{url}/mcp/{s}/server" for s in servers]
    expected = cfg.load_tools * cfg.load_servers
    names = {
        "ours-lc-cold": "ours: LangChain GatewayToolkit, cold",
        "ours-lc-cached": "ours: LangChain GatewayToolkit, cached",
        "ours-li-cold": "ours: LlamaIndex GatewayToolSpec, cold",
        "ours-li-cached": "ours: LlamaIndex GatewayToolSpec, cached",
        "lc-mcp": "langchain.mcp MCPAdapter.list_tools x servers",
        "li-mcp": "llama-index-tools-mcp McpToolSpec x servers",
    }
    samples = {key: Samples(name) for key, name in names.items()}

    def check(tools: list[Any]) -> None:
        if len(tools) != expected:
            raise RuntimeError(f"tool loading: {len(tools)} tools, expected {expected}")

    async def ours(kind: str, build: Callable[[Any], Awaitable[list[Any]]]) -> None:
        gateway = Gateway(url)
        started = time.perf_counter()
        check(await build(gateway))
        samples[f"{kind}-cold"].seconds.append(time.perf_counter() - started)
        started = time.perf_counter()
        check(await build(gateway))
        samples[f"{kind}-cached"].seconds.append(time.perf_counter() - started)
        await gateway.aclose()

    async def langchain_mcp() -> None:
        started = time.perf_counter()
        lists = await asyncio.gather(
            *(MCPAdapter(Client(e, auth="loader")).list_tools() for e in endpoints)
        )
        samples["lc-mcp"].seconds.append(time.perf_counter() - started)
        check([t for tools in lists for t in tools])

    async def llama_mcp() -> None:
        clients = [BasicMCPClient(e, headers={"Authorization": "Bearer loader"}) for e in endpoints]
        started = time.perf_counter()
        lists = await asyncio.gather(*(McpToolSpec(c).to_tool_list_async() for c in clients))
        samples["li-mcp"].seconds.append(time.perf_counter() - started)
        check([t for tools in lists for t in tools])
        for c in clients:
            await c.http_client.aclose()

    async def lc(gateway: Any) -> list[Any]:
        return list(await GatewayToolkit(gateway, servers).aget_tools(token="loader"))

    async def li(gateway: Any) -> list[Any]:
        return list(await GatewayToolSpec(gateway, servers).to_tool_list_async(token="loader"))

    for _ in range(cfg.load_rounds):
        await ours("ours-lc", lc)
        await ours("ours-li", li)
        await langchain_mcp()
        await llama_mcp()
    report.loading = {s.name: s for s in samples.values()}


# -- 6. through the dev gateway ----------------------------------------------------------


async def bench_gateway(upstream: str, cfg: Config, report: Report) -> None:
    """Warm calls through the dev gateway (in its own process) to the echo server."""
    import tempfile

    from _harness import free_port

    port = free_port()
    config = f"""
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
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gateway.toml"
        path.write_text(config)
        proc = await asyncio.create_subprocess_exec(
            *[sys.executable, "-m", "mcp_gateway_tools.devgateway", "--config", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "FASTMCP_LOG_LEVEL": "ERROR"},
        )
        url = f"http://127.0.0.1:{port}"
        try:
            await _wait_http(url, proc)
            keys = ["ours-langchain", "ours-llamaindex", "raw-fastmcp", "langchain.mcp"]
            contenders: dict[str, Contender] = {}
            users: list[UserSession] = []
            calls: dict[str, Callable[[], Awaitable[object]]] = {}
            for key in keys:
                contender = make(key)
                contender.loader = "bench-user-token"
                await contender.start(url)
                user = await contender.user("bench-user-token")
                for _ in range(3):
                    checked(key, await user.call())
                contenders[key], calls[contender.name] = contender, user.call
                users.append(user)
            report.gateway = await alternate(
                calls, rounds=cfg.warm_rounds, per_round=cfg.warm_per_round
            )
            for key, contender in contenders.items():
                user = users[list(contenders).index(key)]
                stats(upstream, reset=True)
                for _ in range(cfg.request_calls):
                    await user.call()
                counts = stats(upstream)
                report.gateway_requests[contender.name] = {
                    m: n / cfg.request_calls for m, n in sorted(counts.items())
                }
            await close_all(contenders, users)
        finally:
            proc.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), timeout=10)


async def _wait_http(url: str, proc: asyncio.subprocess.Process) -> None:
    import httpx2

    deadline = time.monotonic() + 30
    async with httpx2.AsyncClient() as http:
        while True:
            try:
                await http.get(url + "/")
                return
            except httpx2.TransportError:
                if time.monotonic() > deadline or proc.returncode is not None:
                    raise RuntimeError("the dev gateway did not start") from None
                await asyncio.sleep(0.1)


# -- orchestration -----------------------------------------------------------------------
