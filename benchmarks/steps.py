"""The measuring steps. Each fills its part of the :class:`~benchmarks.data.Report`.

Contenders alternate round by round, so load from elsewhere on the (shared) machine
hits them alike; every ratio the report shows is computed within one run.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from .child import Child, Local, Remote
from .contenders import CONTENDERS, Started, Unavailable, User, agent_turn, result_text
from .data import ROOT, Config, Report, Samples


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


Timed = Callable[[], Awaitable[Callable[[], Awaitable[None]] | None]]
"""One timed operation; it may return what to release afterwards (not timed)."""


# -- the server --------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_servers(*extra_tools: int) -> Iterator[list[str]]:
    """One ``python -m benchmarks.server`` process per entry (started in parallel)."""
    env = {**os.environ, "FASTMCP_LOG_LEVEL": "ERROR"}
    ports = [free_port() for _ in extra_tools]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "benchmarks.server", str(port), str(tools)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=ROOT,
        )
        for port, tools in zip(ports, extra_tools, strict=True)
    ]
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        deadline = time.monotonic() + 60
        for url, proc in zip(urls, procs, strict=True):
            while True:
                try:
                    stats(url)
                    break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError("the benchmark server did not start") from None
                    time.sleep(0.05)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)


def _control(url: str, path: str, method: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def stats(url: str, reset: bool = False) -> dict[str, int]:
    counts = _control(url, "/stats", "DELETE" if reset else "GET")
    counts.pop("one_way_ms", None)
    return {k: int(v) for k, v in counts.items()}


def set_round_trip(url: str, rtt_ms: float) -> None:
    _control(url, "/latency", "PUT", {"one_way_ms": rtt_ms / 2})


# -- timing ------------------------------------------------------------------------------


async def alternate(
    ops: dict[str, Timed], *, rounds: int, per_round: int, cpu: bool = True, prime: bool = False
) -> dict[str, Samples]:
    """Run each op ``per_round`` times per round, alternating between them; ``prime``:
    once more untimed first (the others' turns may have let its connections idle out)."""
    results = {label: Samples() for label in ops}
    for _ in range(rounds):
        for label, op in ops.items():
            if prime and (release := await op()) is not None:
                await release()
            for _ in range(per_round):
                cpu0, t0 = time.process_time(), time.perf_counter()
                release = await op()
                results[label].seconds.append(time.perf_counter() - t0)
                if cpu:
                    results[label].cpu.append(time.process_time() - cpu0)
                if release is not None:
                    await release()
    return results


async def open_all(keys: list[str], url: str, report: Report) -> dict[str, Started]:
    """Start each contender; remember the ones that cannot run here, and why."""
    started: dict[str, Started] = {}
    cfg = report.config
    for key in keys:
        contender = CONTENDERS[key]
        if contender.remote and cfg.peer_python:
            opened: Started = Remote(url, Child(key, cfg.peer_python, str(ROOT)))
        else:
            opened = contender.open(url)
        try:
            await opened.start()
        except Unavailable as exc:
            report.unavailable[contender.name] = str(exc)
            await opened.aclose()
            continue
        started[key] = opened
    return started


async def close_all(started: dict[str, Started], users: list[User]) -> None:
    for user in users:
        await user.aclose()
    for opened in started.values():
        await opened.aclose()


def checked(key: str, result: object) -> object:
    if "bench" not in result_text(result):
        raise RuntimeError(f"{key}: the echo did not come back: {result!r}")
    return result


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


async def _none(awaitable: Awaitable[object]) -> None:
    await awaitable


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


async def _settled(url: str) -> dict[str, float]:
    await asyncio.sleep(0.1)  # let background requests (a closing session's) land
    return {m: float(n) for m, n in sorted(stats(url, reset=True).items())}


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


# -- load: many users, 10,000 identities -------------------------------------------------


def _driver(key: str, cfg: Config) -> Local:
    if cfg.in_process:
        return Local(key)
    remote = CONTENDERS[key].remote and cfg.peer_python
    return Child(key, cfg.peer_python if remote else sys.executable, str(ROOT))  # type: ignore[arg-type]


async def _start_drivers(keys: list[str], url: str, report: Report) -> dict[str, Local]:
    drivers: dict[str, Local] = {}
    for key in keys:
        driver = _driver(key, report.config)
        try:
            await driver.ask("start", url=url)
            await driver.ask("many", args=_many_args(0, 1, 1, 1, 30.0))  # warm-up user
        except Unavailable as exc:
            report.unavailable[CONTENDERS[key].name] = str(exc)
            await driver.aclose()
            continue
        drivers[key] = driver
    return drivers


def _many_args(first: int, users: int, calls: int, concurrency: int, budget: float) -> Any:
    return {"first": first, "users": users, "calls": calls, "concurrency": concurrency,
            "budget": budget}  # fmt: skip


async def many(url: str, report: Report) -> None:
    """Many new users at once, each contender in its own process, rounds alternating."""
    cfg = report.config
    drivers = await _start_drivers(cfg.many, url, report)
    per_round, budget = max(1, cfg.users // cfg.many_rounds), cfg.budget / cfg.many_rounds
    rounds: dict[str, list[dict[str, Any]]] = {key: [] for key in drivers}
    try:
        for n in range(cfg.many_rounds):
            for key in list(drivers)[:: 1 if n % 2 == 0 else -1]:
                args = _many_args(1 + n * per_round, per_round, cfg.calls, cfg.concurrency, budget)
                rounds[key].append(await drivers[key].ask("many", args=args))
    finally:
        for driver in drivers.values():
            await driver.aclose()
    report.many = {key: _merge(results) for key, results in rounds.items()}


def _merge(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One contender's rounds as one row of the many-users table."""
    from .load import _pct

    latencies = [x for r in rounds for x in r["latencies_ms"]]
    calls, seconds = sum(r["calls"] for r in rounds), sum(r["seconds"] for r in rounds)
    return {
        "users": sum(r["users"] for r in rounds),
        "calls": calls,
        "errors": sum(r["errors"] for r in rounds),
        "throughput": calls / seconds if seconds else 0.0,
        "cpu_ms_per_call": sum(r["cpu_seconds"] for r in rounds) * 1000 / max(1, calls),
        "median_ms": _pct(latencies, 0.5),
        "p90_ms": _pct(latencies, 0.9),
        "setup_median_ms": _pct([x for r in rounds for x in r["setups_ms"]], 0.5),
        "peak_sessions": max(r["peak_sessions"] for r in rounds),
        "peak_server_connections": max(r["peak_server_connections"] for r in rounds),
        "rss_growth_mb": max(r["rss_growth_mb"] for r in rounds),
    }


async def identities(url: str, report: Report) -> None:
    """10,000 identities through one process: ours, then a fastmcp Client per user."""
    cfg = report.config
    drivers = await _start_drivers(list(cfg.identity_budgets), url, report)
    try:
        for key, driver in drivers.items():
            stats(url, reset=True)
            result = await driver.ask("identities", args=cfg.identity_args(key))
            counts = stats(url)
            result["sessions_opened"] = counts.get("server/discover", 0) + counts.get(
                "initialize", 0
            )
            report.identities[key] = result
            await driver.aclose()
    finally:
        for driver in drivers.values():
            await driver.aclose()


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
