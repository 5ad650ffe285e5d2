"""The harness: the server process and its controls, and timing side by side."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from .child import Child, Remote
from .contenders import CONTENDERS, Started, Unavailable, User, result_text
from .data import ROOT, Report, Samples


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


async def _none(awaitable: Awaitable[object]) -> None:
    await awaitable


async def _settled(url: str) -> dict[str, float]:
    await asyncio.sleep(0.1)  # let background requests (a closing session's) land
    return {m: float(n) for m, n in sorted(stats(url, reset=True).items())}
