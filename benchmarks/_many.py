"""Many users at once: each contender in its own process, driven round by round.

    python benchmarks/_many.py '{"contender": "...", "url": "..."}'

The process starts the contender, serves one warm-up user, prints ``{"ready": ...}``,
then for each ``run USERS CALLS CONCURRENCY BUDGET`` line on stdin runs one round and
prints one JSON line; ``quit`` ends it. The parent alternates rounds between contender
processes, so load from elsewhere on the machine hits all of them alike, and each
process's memory is its own.

A round: ``USERS`` new users make ``CALLS`` sequential calls each, ``CONCURRENCY`` users
at a time; no call starts after ``BUDGET`` seconds (bounded in count and in time).
Measured: calls and wall time (including each user's setup, e.g. a peer building that
user's tools), per-call latencies, this process's CPU time, peak MCP sessions open on the
client side, peak TCP connections to the server, and this process's peak RSS.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psutil
from _contenders import Contender, Unavailable, make, result_text


def connections_to(port: int) -> int:
    """Established TCP connections this process holds to the server's port."""
    try:
        conns = psutil.Process().net_connections(kind="tcp")
    except (psutil.Error, OSError):
        return 0
    return sum(
        1 for c in conns if c.status == psutil.CONN_ESTABLISHED and c.raddr and c.raddr.port == port
    )


class _Sampler(threading.Thread):
    """Peak RSS of this process and its peak connections to the server, sampled off the
    event loop (other contenders' idle processes keep theirs, so the server's own count
    would mix them)."""

    def __init__(self, port: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.port, self.interval = port, interval
        self.stop = threading.Event()
        self.peak_rss = 0
        self.peak_conns = 0

    def run(self) -> None:
        me = psutil.Process()
        while not self.stop.is_set():
            self.peak_rss = max(self.peak_rss, me.memory_info().rss)
            self.peak_conns = max(self.peak_conns, connections_to(self.port))
            self.stop.wait(self.interval)


class Runner:
    """One started contender that runs rounds of many users."""

    def __init__(self, contender: Contender, url: str) -> None:
        self.contender = contender
        self.url = url
        self.next_user = 0
        self.rss_before = 0
        self.peak_rss = 0

    @classmethod
    async def start(cls, key: str, url: str) -> Runner:
        """Start ``key`` and serve one warm-up user (imports, first connection)."""
        contender = make(key)
        await contender.start(url)  # may raise Unavailable
        warm = await contender.user("many-warmup")
        if "bench" not in result_text(await warm.call()):
            raise RuntimeError(f"{key}: the echo did not come back")
        await warm.aclose()
        runner = cls(contender, url)
        runner.rss_before = runner.peak_rss = psutil.Process().memory_info().rss
        return runner

    async def round(
        self, *, users: int, calls: int, concurrency: int, budget: float
    ) -> dict[str, Any]:
        c = self.contender
        port = int(self.url.rsplit(":", 1)[1])
        sampler = _Sampler(port)
        sampler.start()
        latencies: list[float] = []
        setups: list[float] = []
        peak_sessions = 0
        users_done = 0
        errors = 0
        first = self.next_user
        self.next_user += users
        queue = iter(range(first, first + users))
        me = psutil.Process()
        cpu_before = sum(me.cpu_times()[:2])
        started = time.perf_counter()
        deadline = started + budget

        async def worker() -> None:
            nonlocal users_done, errors, peak_sessions
            for i in queue:
                if time.perf_counter() > deadline:
                    return
                t0 = time.perf_counter()
                session = await c.user(f"many-user-{i}")
                setups.append(time.perf_counter() - t0)
                made = 0
                try:
                    for _ in range(calls):
                        t0 = time.perf_counter()
                        if t0 > deadline:
                            break
                        made += 1
                        try:
                            await session.call()
                        except Exception:
                            errors += 1
                        latencies.append(time.perf_counter() - t0)
                        peak_sessions = max(peak_sessions, c.open_sessions())
                finally:
                    await session.aclose()
                users_done += made == calls

        async def watch_sessions() -> None:
            nonlocal peak_sessions
            while True:
                peak_sessions = max(peak_sessions, c.open_sessions())
                await asyncio.sleep(0.02)

        watcher = asyncio.create_task(watch_sessions())
        try:
            await asyncio.wait_for(
                asyncio.gather(*(worker() for _ in range(concurrency))), timeout=budget + 120
            )
        finally:
            seconds = time.perf_counter() - started
            watcher.cancel()
            sampler.stop.set()
            sampler.join()
        self.peak_rss = max(self.peak_rss, sampler.peak_rss)
        return {
            "users": users_done,
            "calls": len(latencies),
            "errors": errors,
            "seconds": seconds,
            "cpu_seconds": sum(me.cpu_times()[:2]) - cpu_before,
            "latencies_ms": [round(x * 1000, 3) for x in latencies],
            "setups_ms": [round(x * 1000, 3) for x in setups],
            "peak_sessions": peak_sessions,
            "sessions_after": c.open_sessions(),
            "peak_server_connections": sampler.peak_conns,
            "rss_before_mb": self.rss_before / 2**20,
            "rss_peak_mb": self.peak_rss / 2**20,
        }

    async def aclose(self) -> None:
        await self.contender.aclose()


def merge(name: str, family: str, rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One contender's rounds as one row of the many-users table."""
    latencies = sorted(x for r in rounds for x in r["latencies_ms"])
    setups = sorted(x for r in rounds for x in r["setups_ms"])
    calls = sum(r["calls"] for r in rounds)
    seconds = sum(r["seconds"] for r in rounds)
    cpu = sum(r["cpu_seconds"] for r in rounds)

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(len(values) * q))] if values else 0.0

    return {
        "name": name,
        "family": family,
        "rounds": len(rounds),
        "users": sum(r["users"] for r in rounds),
        "calls": calls,
        "errors": sum(r["errors"] for r in rounds),
        "seconds": seconds,
        "throughput": calls / seconds if seconds else 0.0,
        "cpu_ms_per_call": cpu * 1000 / calls if calls else 0.0,
        "median_ms": pct(latencies, 0.5),
        "p90_ms": pct(latencies, 0.9),
        "setup_median_ms": pct(setups, 0.5),
        "peak_sessions": max(r["peak_sessions"] for r in rounds),
        "sessions_after": rounds[-1]["sessions_after"],
        "peak_server_connections": max(r["peak_server_connections"] for r in rounds),
        "rss_before_mb": rounds[0]["rss_before_mb"],
        "rss_growth_mb": max(r["rss_peak_mb"] for r in rounds) - rounds[0]["rss_before_mb"],
    }


async def serve(args: dict[str, Any]) -> None:
    """The child process: start, say ready, run rounds as the parent asks."""
    key = args["contender"]
    try:
        runner = await Runner.start(key, args["url"])
    except Unavailable as exc:
        _say({"unavailable": str(exc)})
        return
    _say({"ready": True})
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = (await loop.run_in_executor(None, sys.stdin.readline)).split()
            if not line or line[0] == "quit":
                return
            users, calls, concurrency = (int(x) for x in line[1:4])
            _say(
                await runner.round(
                    users=users, calls=calls, concurrency=concurrency, budget=float(line[4])
                )
            )
    finally:
        await runner.aclose()


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(serve(json.loads(sys.argv[1])))
