"""All benchmarks, side by side with the alternatives, in one run.

    make bench                      # or: .venv/bin/python benchmarks/run.py
    .venv/bin/python benchmarks/run.py --quick --out /tmp/bench   # a few seconds

Against a fastmcp echo server in its own process (loopback), alternating rounds between
contenders, medians and p90, ratios computed in the same run:

1. warm sequential calls of one user;
2. the first call of a user never seen before;
3. many users (200 users x 10 calls, 20 at a time, bounded in count and time), each
   contender in its own process: throughput, p90, peak sessions, server connections, RSS;
4. HTTP requests per tool call at steady state, counted at the server;
5. tool loading, 50 tools x 5 servers, cold and cached;
6. (separately) warm calls through the dev gateway.

Prints a Markdown report and writes it to ``docs/benchmarks.md`` with
``docs/benchmarks.png`` (``--out`` elsewhere, ``--no-write`` to only print).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _contenders import Contender, Unavailable, UserSession, make, result_text
from _harness import Samples, alternate, running_servers, stats

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COMMAND = "make bench"
"""As written in the report; it runs ``.venv/bin/python benchmarks/run.py``."""

WARM = [
    "ours-langchain",
    "ours-llamaindex",
    "raw-fastmcp",
    "raw-httpx2",
    "langchain.mcp",
    "langchain.mcp-held",
    "langchain-mcp-adapters",
    "llama-index-tools-mcp",
]
FIRST = [
    "ours-langchain",
    "ours-llamaindex",
    "raw-fastmcp",
    "raw-httpx2",
    "langchain.mcp",
    "langchain-mcp-adapters",
    "llama-index-tools-mcp",
]
MANY = [
    "ours-langchain",
    "ours-langchain-32",
    "ours-llamaindex",
    "raw-fastmcp",
    "langchain.mcp",
    "langchain-mcp-adapters",
    "llama-index-tools-mcp",
]
REQUESTS = WARM
REMOTE = frozenset({"langchain-mcp-adapters"})
"""Peers that cannot be imported next to mcp 2: run in ``--peer-python`` when given."""
PEER_VENV = ".venv/peers"
STEPS = ("warm", "first", "many", "requests", "gateway", "loading")
LOADING = ["ours-langchain", "ours-llamaindex", "langchain.mcp", "llama-index-tools-mcp"]


@dataclass
class Config:
    warm_rounds: int = 24
    warm_per_round: int = 5
    """Short runs per contender, many rounds: load from elsewhere spreads evenly over them
    (one call per round would also make every call start with cold CPU caches)."""
    first_rounds: int = 6
    first_per_round: int = 4
    users: int = 200
    calls: int = 10
    concurrency: int = 20
    budget: float = 12.0
    """Seconds of many-users work per contender, over all its rounds."""
    many_rounds: int = 2
    request_calls: int = 20
    load_servers: int = 5
    load_tools: int = 50
    load_rounds: int = 4
    gateway: bool = True
    in_process: bool = False
    """Run the many-users step in this process (smoke test) instead of one per contender."""
    warm: list[str] = field(default_factory=lambda: list(WARM))
    first: list[str] = field(default_factory=lambda: list(FIRST))
    many: list[str] = field(default_factory=lambda: list(MANY))
    requests: list[str] = field(default_factory=lambda: list(REQUESTS))
    loading: bool = True
    peer_python: str | None = None
    """An interpreter with langchain-mcp-adapters (it needs mcp<2), for the REMOTE peers."""
    steps: frozenset[str] = frozenset(STEPS)

    @classmethod
    def quick(cls) -> Config:
        """Tiny sizes: every step runs, in a few seconds."""
        return cls(
            warm_rounds=2,
            warm_per_round=1,
            first_rounds=1,
            first_per_round=1,
            users=4,
            calls=2,
            concurrency=2,
            budget=2.0,
            many_rounds=2,
            request_calls=2,
            load_servers=2,
            load_tools=3,
            load_rounds=1,
            gateway=False,
        )


@dataclass
class Report:
    config: Config
    warm: dict[str, Samples] = field(default_factory=dict)
    first: dict[str, Samples] = field(default_factory=dict)
    many: list[dict[str, Any]] = field(default_factory=list)
    requests: dict[str, dict[str, float]] = field(default_factory=dict)
    loading: dict[str, Samples] = field(default_factory=dict)
    gateway: dict[str, Samples] = field(default_factory=dict)
    gateway_requests: dict[str, dict[str, float]] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    peer_versions: str = ""
    seconds: float = 0.0
    run_at: str = ""
    machine: str = ""
    command: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["config"]["steps"] = sorted(self.config.steps)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        """A saved run (benchmarks/results/latest.json), to render it again."""
        config = dict(data.pop("config"))
        config["steps"] = frozenset(config["steps"])
        report = cls(Config(**config), **{k: v for k, v in data.items() if k not in SAMPLED})
        for key in SAMPLED:
            setattr(report, key, {n: Samples(**s) for n, s in data[key].items()})
        return report


SAMPLED = ("warm", "first", "loading", "gateway")
RESULTS = ROOT / "benchmarks" / "results" / "latest.json"


# -- shared steps ------------------------------------------------------------------------


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


async def bench_many(url: str, cfg: Config, report: Report) -> None:
    """Each contender in its own process; rounds alternate between the processes."""
    import _many

    per_round = max(1, cfg.users // cfg.many_rounds)
    budget = cfg.budget / cfg.many_rounds
    drivers: dict[str, _Driver] = {}
    try:
        for key in cfg.many:
            python = cfg.peer_python if key in REMOTE and cfg.peer_python else sys.executable
            driver = _InProcess(key) if cfg.in_process else _Child(key, python)
            why = await driver.start(url)
            if why is not None:
                report.unavailable[make(key).name] = why
                continue
            drivers[key] = driver
        rounds: dict[str, list[dict[str, Any]]] = {key: [] for key in drivers}
        for n in range(cfg.many_rounds):
            order = list(drivers) if n % 2 == 0 else list(drivers)[::-1]
            for key in order:
                rounds[key].append(
                    await drivers[key].round(per_round, cfg.calls, cfg.concurrency, budget)
                )
                stats(url, reset=True)
    finally:
        for driver in drivers.values():
            await driver.aclose()
    for key, results in rounds.items():
        contender = make(key)
        report.many.append(_many.merge(contender.name, contender.family, results))


class _Driver:
    async def start(self, url: str) -> str | None:
        """Start the contender; the reason it cannot run here, or None."""
        raise NotImplementedError

    async def round(
        self, users: int, calls: int, concurrency: int, budget: float
    ) -> dict[str, Any]:
        raise NotImplementedError

    async def aclose(self) -> None:
        raise NotImplementedError


class _InProcess(_Driver):
    """The smoke test's way: no process per contender (RSS then means little)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.runner: Any = None

    async def start(self, url: str) -> str | None:
        import _many

        try:
            self.runner = await _many.Runner.start(self.key, url)
        except Unavailable as exc:
            return str(exc)
        return None

    async def round(
        self, users: int, calls: int, concurrency: int, budget: float
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.runner.round(
            users=users, calls=calls, concurrency=concurrency, budget=budget
        )
        return result

    async def aclose(self) -> None:
        if self.runner is not None:
            await self.runner.aclose()


class _Child(_Driver):
    """A contender in its own process (benchmarks/_many.py), driven over stdin/stdout."""

    def __init__(self, key: str, python: str) -> None:
        self.key = key
        self.python = python
        self.proc: asyncio.subprocess.Process | None = None

    async def _read(self) -> dict[str, Any]:
        assert self.proc is not None
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout=300)
        if not line:
            err = b""
            if self.proc.stderr is not None:
                err = await self.proc.stderr.read()
            raise RuntimeError(f"many users, {self.key}, died:\n{err.decode()[-3000:]}")
        return dict(json.loads(line))

    async def start(self, url: str) -> str | None:
        args = {"contender": self.key, "url": url}
        self.proc = await asyncio.create_subprocess_exec(
            *[self.python, "-W", "ignore", str(HERE / "_many.py"), json.dumps(args)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        first = await self._read()
        unavailable = first.get("unavailable")
        return str(unavailable) if unavailable is not None else None

    async def round(
        self, users: int, calls: int, concurrency: int, budget: float
    ) -> dict[str, Any]:
        assert self.proc is not None
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"run {users} {calls} {concurrency} {budget}\n".encode())
        await self.proc.stdin.drain()
        return await self._read()

    async def aclose(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        assert self.proc.stdin is not None
        with contextlib.suppress(OSError):
            self.proc.stdin.write(b"quit\n")
            await self.proc.stdin.drain()
        try:
            await asyncio.wait_for(self.proc.wait(), timeout=30)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


# -- 4. HTTP requests per call -----------------------------------------------------------


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


async def collect(cfg: Config, log: Callable[[str], None] = print) -> Report:
    from _report import machine, today

    report = Report(cfg, run_at=today(), machine=machine())
    report.peer_versions = peer_versions(cfg.peer_python)
    started = time.perf_counter()
    loading = cfg.loading and "loading" in cfg.steps
    sizes = [0, max(0, cfg.load_tools - 2)] if loading else [0]
    with running_servers(*sizes) as servers:  # one server with many tools for loading
        server = servers[0]
        steps: list[tuple[str, str, Callable[[], Awaitable[None]]]] = [
            ("warm", "1/6 warm calls", lambda: bench_warm(server.url, cfg, report)),
            ("first", "2/6 first calls", lambda: bench_first(server.url, cfg, report)),
            ("many", "3/6 many users", lambda: bench_many(server.url, cfg, report)),
            ("requests", "4/6 requests", lambda: bench_requests(server.url, cfg, report)),
            ("gateway", "6/6 dev gateway", lambda: bench_gateway(server.url, cfg, report)),
            ("loading", "5/6 tool loading", lambda: bench_loading(servers[-1].url, cfg, report)),
        ]
        for key, title, step in steps:
            if key not in cfg.steps or (key == "gateway" and not cfg.gateway):
                continue
            if key == "loading" and not loading:
                continue
            t0 = time.perf_counter()
            await step()
            log(f"{title}: {time.perf_counter() - t0:.1f} s")
    report.seconds = time.perf_counter() - started
    return report


def main(argv: list[str] | None = None) -> Report:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="where to write")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--no-gateway", action="store_true", help="skip the dev gateway run")
    parser.add_argument(
        "--peer-python",
        default=os.environ.get("BENCH_PEER_PYTHON") or _peer_venv(),
        help="a Python with langchain-mcp-adapters (it needs mcp<2, so not this venv); "
        f"default: $BENCH_PEER_PYTHON, else {PEER_VENV}/bin/python if present",
    )
    parser.add_argument(
        "--only", help=f"comma-separated steps to run, of: {', '.join(STEPS)}", default=""
    )
    parser.add_argument(
        "--render",
        type=Path,
        metavar="JSON",
        help=f"do not measure: render a saved run again (each run is saved to {RESULTS})",
    )
    args = parser.parse_args(argv)
    cfg = Config.quick() if args.quick else Config()
    if args.only:
        unknown = set(args.only.split(",")) - set(STEPS)
        if unknown:
            parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
        cfg.steps = frozenset(args.only.split(","))
    cfg.peer_python = args.peer_python
    if args.no_gateway:
        cfg.gateway = False
    warnings.filterwarnings("ignore")
    if args.render:
        report = Report.from_json(json.loads(args.render.read_text()))
    else:
        report = asyncio.run(collect(cfg, log=lambda m: print(m, file=sys.stderr, flush=True)))
        given = argv if argv is not None else sys.argv[1:]
        report.command = (
            " ".join([".venv/bin/python benchmarks/run.py", *given]) if given else COMMAND
        )
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(report.to_json()))

    from _report import markdown, plot, readme_block, update_readme

    text = markdown(report, command=report.command or COMMAND)
    print(text)
    if not args.no_write:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "benchmarks.md").write_text(text)
        plot(report, args.out / "benchmarks.png")
        print(f"\nwrote {args.out / 'benchmarks.md'} and {args.out / 'benchmarks.png'}")
        full = not (report.config.gateway is False or set(STEPS) - report.config.steps)
        if args.out.resolve() == (ROOT / "docs").resolve() and full and report.config.users >= 200:
            block = readme_block(report, command=report.command or COMMAND)
            if update_readme(ROOT / "README.md", block):
                print("updated the benchmark table in README.md")
    return report


def peer_versions(python: str | None) -> str:
    """What the ``--peer-python`` interpreter runs (for the report)."""
    if not python:
        return ""
    code = (
        "import importlib.metadata as m, platform; print('Python', platform.python_version(), "
        "', '.join(n + ' ' + m.version(n) for n in ('langchain-mcp-adapters', "
        "'langchain-core', 'mcp')))"
    )
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else f"unusable: {done.stderr[-300:]}"


def _peer_venv() -> str | None:
    python = ROOT / PEER_VENV / "bin" / "python"
    return str(python) if python.exists() else None


if __name__ == "__main__":
    main()
