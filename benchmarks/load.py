"""The load runs, made inside one contender's process (see :mod:`benchmarks.child`).

- :func:`many_round`: ``users`` new users make ``calls`` sequential calls each,
  ``concurrency`` users at a time; no call starts after ``budget`` seconds.
- :func:`identities`: ``identities`` distinct users with Zipf-distributed popularity and
  rotating tokens (a user's token changes every ``rotate_every`` of their calls), every
  user seen at least once, ``concurrency`` calls at a time, bounded by ``budget``.

Both sample this process's RSS and its TCP connections to the server off the event loop.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from typing import Any

import psutil

from .contenders import Ours, Started, User, result_text


class Sampler(threading.Thread):
    """Peak RSS and peak TCP connections to ``port`` of this process, off the loop."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.done = threading.Event()
        self.peak_rss = self.peak_conns = 0

    def run(self) -> None:
        me = psutil.Process()
        while not self.done.is_set():
            self.peak_rss = max(self.peak_rss, me.memory_info().rss)
            self.peak_conns = max(self.peak_conns, self._connections(me))
            self.done.wait(0.05)

    def _connections(self, me: psutil.Process) -> int:
        try:
            conns = me.net_connections(kind="tcp")
        except (psutil.Error, OSError):
            return 0
        established = psutil.CONN_ESTABLISHED
        return sum(
            1 for c in conns if c.status == established and c.raddr and c.raddr.port == self.port
        )

    def stop(self) -> None:
        self.done.set()
        self.join()


def _port(started: Started) -> int:
    return int(started.url.rsplit(":", 1)[1])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


async def many_round(
    started: Started, *, first: int, users: int, calls: int, concurrency: int, budget: float
) -> dict[str, Any]:
    rss_before = psutil.Process().memory_info().rss
    sampler = Sampler(_port(started))
    sampler.start()
    latencies: list[float] = []
    setups: list[float] = []
    peak = done = errors = 0
    queue = iter(range(first, first + users))
    cpu_before = sum(psutil.Process().cpu_times()[:2])
    began = time.perf_counter()
    deadline = began + budget

    async def worker() -> None:
        nonlocal done, errors, peak
        for i in queue:
            if time.perf_counter() > deadline:
                return
            t0 = time.perf_counter()
            user = await started.user(f"many-user-{i}")
            setups.append(time.perf_counter() - t0)
            made = 0
            try:
                while made < calls and (t0 := time.perf_counter()) <= deadline:
                    made += 1
                    try:
                        await user.call()
                    except Exception:
                        errors += 1
                    latencies.append(time.perf_counter() - t0)
                    peak = max(peak, started.open_sessions())
            finally:
                await user.aclose()
            done += made == calls

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, started.open_sessions())
            await asyncio.sleep(0.02)

    watcher = asyncio.create_task(watch())
    try:
        await asyncio.wait_for(
            asyncio.gather(*(worker() for _ in range(concurrency))), budget + 120
        )
    finally:
        seconds = time.perf_counter() - began
        watcher.cancel()
        sampler.stop()
    return {
        "users": done,
        "calls": len(latencies),
        "errors": errors,
        "seconds": seconds,
        "cpu_seconds": sum(psutil.Process().cpu_times()[:2]) - cpu_before,
        "latencies_ms": [round(x * 1000, 3) for x in latencies],
        "setups_ms": [round(x * 1000, 3) for x in setups],
        "peak_sessions": peak,
        "sessions_after": started.open_sessions(),
        "peak_server_connections": sampler.peak_conns,
        "rss_growth_mb": (sampler.peak_rss - rss_before) / 2**20,
    }


def zipf_sequence(identities: int, calls: int, s: float, seed: int) -> list[int]:
    """Every identity once, plus ``calls - identities`` Zipf draws, shuffled."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) ** s for rank in range(identities)]
    order = list(range(identities)) + rng.choices(
        range(identities), weights=weights, k=max(0, calls - identities)
    )
    rng.shuffle(order)
    return order


async def identities(
    started: Started,
    *,
    identities: int,
    calls: int,
    zipf: float,
    rotate_every: int,
    concurrency: int,
    budget: float,
    seed: int = 7,
) -> dict[str, Any]:
    """Ours resolve each call's token themselves; a peer holds one user per identity
    (replaced when the token rotates), as an application without a pool would."""
    sequence = zipf_sequence(identities, calls, zipf, seed)
    seen: dict[int, int] = {}
    held: dict[int, tuple[str, User]] = {}
    hold = not isinstance(started, Ours)
    locks: dict[int, asyncio.Lock] = {}
    closing: set[asyncio.Future[None]] = set()
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    errors = 0
    series: list[dict[str, Any]] = []
    every = max(0.5, budget / 60)

    async def watch() -> None:
        """RSS, calls done and sessions open over time (read on the loop: the pool is)."""
        me = psutil.Process()
        while True:
            series.append({
                "t": round(time.perf_counter() - began, 2),
                "rss_mb": me.memory_info().rss / 2**20,
                "calls": len(latencies),
                "open_sessions": started.open_sessions(),
            })  # fmt: skip
            await asyncio.sleep(every)

    position = iter(sequence)
    began = time.perf_counter()
    deadline = began + budget

    async def user_for(identity: int) -> User:
        count = seen.get(identity, 0)
        seen[identity] = count + 1
        token = f"id-{identity}-rotation-{count // rotate_every}"
        if not hold:
            return await started.user(token)
        async with locks.setdefault(identity, asyncio.Lock()):
            if identity in held and held[identity][0] != token:
                old = held.pop(identity)[1]  # closed once calls in flight on it are done
                loop.call_later(5, lambda: closing.add(asyncio.ensure_future(old.aclose())))
            if identity not in held:
                held[identity] = (token, await started.user(token))
            return held[identity][1]

    async def worker() -> None:
        nonlocal errors
        for identity in position:
            if (t0 := time.perf_counter()) > deadline:
                return
            try:
                result = await (await user_for(identity)).call()
                errors += "bench" not in result_text(result)
            except Exception:
                errors += 1
            latencies.append(time.perf_counter() - t0)

    watcher = asyncio.create_task(watch())
    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        seconds = time.perf_counter() - began
        watcher.cancel()
        sessions_end = started.open_sessions()
    for _, user in held.values():  # released after the run, not part of it
        await user.aclose()
    return {
        "identities_seen": len(seen),
        "calls": len(latencies),
        "errors": errors,
        "seconds": seconds,
        "throughput": len(latencies) / seconds if seconds else 0.0,
        "p50_ms": _pct(latencies, 0.5) * 1000,
        "p99_ms": _pct(latencies, 0.99) * 1000,
        "open_sessions_end": sessions_end,
        "peak_open_sessions": max((p["open_sessions"] for p in series), default=0),
        "series": series,
    }
