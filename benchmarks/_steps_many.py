"""Step 3, many users: each contender in its own process (or in this one), round by round."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _config import HERE, REMOTE, Config, Report
from _contenders import Unavailable, make
from _harness import stats


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
