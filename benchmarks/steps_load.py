"""The load steps, each contender in a process of its own (:mod:`benchmarks.load` runs
inside it)."""

from __future__ import annotations

import sys
from typing import Any

from .child import Child, Local
from .contenders import CONTENDERS, Unavailable
from .data import ROOT, Config, Report
from .harness import stats

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
