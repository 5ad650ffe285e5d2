"""The targets: a table of claims, each checked against the run's data by a named metric."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .contenders import CONTENDERS, TURN_CALLS, name
from .data import Report, Samples

PARALLEL = {"langchain": True, "llamaindex": True, None: True}
"""Whether the framework runs a turn's tool calls at once (so the floor is one round trip)."""
PROTOCOL = (
    "streamable HTTP 2026-07-28 (stateless): a client learns the server with "
    "`server/discover`, then each request stands alone, so a new user needs discover + "
    "call = 2 round trips; the handshake era needs `initialize` + `notifications/initialized` "
    "+ call = 3. Skipping discover when the server is known (fastmcp `mode='2026-07-28'`, "
    "next row) reaches 1"
)


# -- targets -----------------------------------------------------------------------------


def _samples(report: Report, table: str, key: str) -> Samples | None:
    s = report.tables.get(table, {}).get(key)
    return s if s and s.seconds else None


def ratio(report: Report, table: str, a: str, b: str) -> tuple[float, str] | None:
    sa, sb = _samples(report, table, a), _samples(report, table, b)
    if sa is None or sb is None:
        return None
    cpu = f"; client CPU {sa.cpu_ms / sb.cpu_ms:.2f} x" if sa.cpu_ms and sb.cpu_ms else ""
    value = sa.median_ms / sb.median_ms
    return value, f"{value:.2f} x ({ms(sa.median_ms)} vs {ms(sb.median_ms)} ms){cpu}"


def round_trips(report: Report, key: str, measure: str) -> tuple[float, str] | None:
    counts = report.counts.get(key, {}).get(measure)
    if counts is None:
        return None
    value = sum(counts.values())
    return value, f"{value:g}: " + ", ".join(f"{m} {n:g}" for m, n in counts.items())


def turn_floor(report: Report, key: str, rtt: float) -> tuple[float, str] | None:
    s = _samples(report, f"turn@{rtt:g}", key)
    if s is None:
        return None
    floor = rtt * (1 if PARALLEL[CONTENDERS[key].framework] else TURN_CALLS)
    value = s.median_ms / floor
    return value, f"{value:.2f} x ({ms(s.median_ms)} ms vs a floor of {floor:g} ms)"


def many_ratio(report: Report, key: str, bound: int) -> tuple[float, str] | None:
    row, base = report.many.get(key), report.many.get("fastmcp-reused")
    if row is None or base is None or not base["throughput"]:
        return None
    value = row["throughput"] / base["throughput"]
    if row["peak_sessions"] > bound + 2 or row["errors"]:  # +2: loader and warm-up users
        value = 0.0
    return value, (
        f"{row['throughput'] / base['throughput']:.2f} x ({row['throughput']:.0f} vs "
        f"{base['throughput']:.0f} calls/s); CPU {row['cpu_ms_per_call']:.1f} vs "
        f"{base['cpu_ms_per_call']:.1f} ms/call; peak {row['peak_sessions']} sessions "
        f"(bound {bound}), RSS +{row['rss_growth_mb']:.0f} MB, {row['errors']} errors"
    )


def identity_sessions(report: Report, key: str) -> tuple[float, str] | None:
    run = report.identities.get(key)
    if run is None:
        return None
    return run["peak_open_sessions"], (
        f"peak {run['peak_open_sessions']} open, {run['sessions_opened']} opened for "
        f"{run['identities_seen']} identities, {run['errors']} errors"
    )


def identity_rss(report: Report, key: str) -> tuple[float, str] | None:
    """RSS growth over the second half of the run: flat once the pool is full."""
    run = report.identities.get(key)
    series = run["series"] if run else []
    if len(series) < 4:
        return None
    half = series[len(series) // 2 :]
    value = half[-1]["rss_mb"] - half[0]["rss_mb"]
    return value, (
        f"{value:+.1f} MB over the second half ({half[0]['rss_mb']:.0f} -> "
        f"{half[-1]['rss_mb']:.0f} MB; start {series[0]['rss_mb']:.0f} MB)"
    )


METRICS: dict[str, Callable[..., tuple[float, str] | None]] = {
    "ratio": ratio,
    "round_trips": round_trips,
    "turn_floor": turn_floor,
    "many_ratio": many_ratio,
    "identity_sessions": identity_sessions,
    "identity_rss": identity_rss,
}
OPS = {"<=": operator.le, ">=": operator.ge, "==": operator.eq, "context": None}


@dataclass(frozen=True)
class Target:
    claim: str
    metric: str
    args: tuple[Any, ...]
    op: str
    """How the measured value meets ``limit``; "context" rows have no verdict."""
    limit: float = 0.0
    note: str = ""


LC, LI = "ours-langchain", "ours-llamaindex"
TARGETS = [
    Target("warm call = 1 round trip (LangChain)", "round_trips", (LC, "warm"), "==", 1),
    Target("warm call = 1 round trip (LlamaIndex)", "round_trips", (LI, "warm"), "==", 1),
    Target("a new user's first call <= 2 round trips (LangChain)", "round_trips", (LC, "first"),
           "<=", 2, PROTOCOL),
    Target("a new user's first call <= 2 round trips (LlamaIndex)", "round_trips",
           (LI, "first"), "<=", 2),
    Target("(context) fastmcp Client pinned to the stateless 2026-07-28 revision: a new "
           "user's first call", "round_trips", ("fastmcp-stateless", "first"), "context", 0,
           "what ours could reach by reusing one identity's `server/discover` result for "
           "the next (fastmcp `prior_discover`)"),
    *(Target(f"agent turn, 3 parallel tool calls, within 1.1 x the round-trip floor at "
             f"{rtt} ms ({label})", "turn_floor", (key, rtt), "<=", 1.1)
      for rtt in (10, 50, 100) for key, label in ((LC, "LangChain"), (LI, "LlamaIndex"))),
    *(Target(f"agent turn at {rtt} ms within 1.1 x the same agent over the framework's "
             f"thinnest tools ({label})", "ratio", (f"turn@{rtt}", key, thin), "<=", 1.1,
             "the floor any MCP tool can reach in that framework: its own agent cost "
             "plus one round trip")
      for rtt in (10, 50, 100)
      for key, label, thin in ((LC, "LangChain", "thin-langchain"),
                               (LI, "LlamaIndex", "thin-llamaindex"))),
    Target("warm LangChain call <= 1.05 x the thinnest LangChain StructuredTool over a "
           "reused fastmcp Client (loopback)", "ratio", ("overhead", LC, "thin-langchain"),
           "<=", 1.05, "profile below"),
    Target("warm LangChain tool call <= 1.10 x a reused fastmcp Client (loopback)", "ratio",
           ("warm@0", LC, "fastmcp-reused"), "<=", 1.10,
           "the difference is LangChain's own tool-call path (callbacks, ToolMessage), "
           "which every LangChain tool pays: compare the thinnest StructuredTool above"),
    Target(">= 10 x faster than langchain.mcp's per-call pattern (warm, loopback)", "ratio",
           ("warm@0", "langchain.mcp", LC), ">=", 10),
    *(Target(f"a new user's first call <= 0.3 x a fresh fastmcp Client ({label}, loopback)",
             "ratio", ("first@0", key, "fastmcp-fresh"), "<=", 0.3)
      for key, label in ((LC, "LangChain"), (LI, "LlamaIndex"))),
    *(Target(f"many users: throughput >= 0.9 x a fastmcp Client per user, bounded ({name(k)})",
             "many_ratio", (k, bound), ">=", 0.9)
      for k, bound in ((LC, 256), ("ours-langchain-32", 32), (LI, 256))),
    Target("10,000 identities: open sessions <= max_sessions (256)", "identity_sessions",
           (LC,), "<=", 258),
    Target("10,000 identities: RSS flat (growth over the second half <= 16 MB)",
           "identity_rss", (LC,), "<=", 16),
    Target("(context) 10,000 identities, a fastmcp Client per user: RSS", "identity_rss",
           ("fastmcp-reused",), "context"),
]  # fmt: skip


def verdicts(report: Report) -> list[tuple[Target, str, bool | None]]:
    """Each target that was measured: (target, what was measured, met; None = context)."""
    out = []
    for target in TARGETS:
        found = METRICS[target.metric](report, *target.args)
        if found is None:
            continue
        check = OPS[target.op]
        met = None if check is None else bool(check(found[0], target.limit))
        out.append((target, found[1], met))
    return out


def ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.2f}"


def label(key: str) -> str:
    return CONTENDERS[key].name if key in CONTENDERS else key


def _trips(report: Report, key: str, measure: str) -> str:
    found = round_trips(report, key, measure)
    return f"{found[0]:g}" if found else "-"
