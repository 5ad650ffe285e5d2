"""Benchmark plumbing: a server in a subprocess, alternating rounds, medians and ratios."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    port: int


@contextmanager
def running_servers(*extra_tools: int) -> Iterator[list[Server]]:
    """Start one benchmarks/echo_server.py process per entry (all at once: they start in
    parallel); yield where each listens."""
    procs: list[tuple[subprocess.Popen[bytes], int]] = []
    try:
        for tools in extra_tools:
            port = free_port()
            proc = subprocess.Popen(
                [sys.executable, str(HERE / "echo_server.py"), str(port), str(tools)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "FASTMCP_LOG_LEVEL": "ERROR"},
            )
            procs.append((proc, port))
        servers = []
        deadline = time.monotonic() + 60
        for proc, port in procs:
            url = f"http://127.0.0.1:{port}"
            while True:
                try:
                    stats(url)
                    break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError("benchmark server did not start") from None
                    time.sleep(0.05)
            servers.append(Server(url, proc.pid, port))
        yield servers
    finally:
        for proc, _ in procs:
            proc.terminate()
        for proc, _ in procs:
            proc.wait(timeout=10)


@contextmanager
def running_server(extra_tools: int = 0) -> Iterator[Server]:
    """Start benchmarks/echo_server.py in its own process; yield where it listens."""
    with running_servers(extra_tools) as servers:
        yield servers[0]


@contextmanager
def echo_server(extra_tools: int = 0) -> Iterator[str]:
    """Start benchmarks/echo_server.py in its own process; yield its base URL."""
    with running_server(extra_tools) as server:
        yield server.url


def stats(url: str, reset: bool = False) -> dict[str, int]:
    request = urllib.request.Request(f"{url}/stats", method="DELETE" if reset else "GET")
    with urllib.request.urlopen(request, timeout=5) as response:
        return dict(json.loads(response.read()))


@dataclass
class Samples:
    name: str
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    """This process's CPU seconds per sample: what other load on the machine moves least."""

    @property
    def cpu_ms(self) -> float:
        return statistics.median(self.cpu) * 1000 if self.cpu else 0.0

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def p90_ms(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))] * 1000


async def alternate(
    contenders: dict[str, Callable[[], Awaitable[object]]], *, rounds: int, per_round: int
) -> dict[str, Samples]:
    """Run every contender ``per_round`` times per round, alternating, so drift and
    noise hit all of them alike."""
    results = {name: Samples(name) for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            for _ in range(per_round):
                cpu = time.process_time()
                started = time.perf_counter()
                await fn()
                results[name].seconds.append(time.perf_counter() - started)
                results[name].cpu.append(time.process_time() - cpu)
    return results


def table(results: dict[str, Samples], baseline: str) -> str:
    base = results[baseline].median_ms
    lines = [
        "| contender | median ms | p90 ms | ratio to " + baseline + " |",
        "|---|---:|---:|---:|",
    ]
    for s in results.values():
        lines.append(
            f"| {s.name} | {s.median_ms:.2f} | {s.p90_ms:.2f} | {s.median_ms / base:.2f} |"
        )
    return "\n".join(lines)
