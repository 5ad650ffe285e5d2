"""The report, generated from the run's data: targets (a table of claims), Markdown,
the README block and the plots."""

from __future__ import annotations

import contextlib
import datetime
import importlib.metadata as md
import operator
import os
import platform
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
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


# -- Markdown ----------------------------------------------------------------------------


def ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.2f}"


def label(key: str) -> str:
    return CONTENDERS[key].name if key in CONTENDERS else key


def samples_table(rows: dict[str, Samples], baseline: str) -> str:
    """Median, p90, n, the ratio to ``baseline`` and this process's CPU per sample."""
    base = rows.get(baseline)
    lines = [
        f"| contender | median ms | p90 ms | n | x {label(baseline)} | client CPU ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, s in rows.items():
        if s.seconds:
            r = f"{s.median_ms / base.median_ms:.2f}" if base and base.median_ms else "-"
            cpu = ms(s.cpu_ms) if s.cpu else "-"
            lines.append(f"| {label(key)} | {ms(s.median_ms)} | {ms(s.p90_ms)} | "
                         f"{len(s.seconds)} | {r} | {cpu} |")  # fmt: skip
    return "\n".join(lines)


def distance_table(report: Report, rtt: float) -> str:
    head = "| contender | new user's first call | warm call | agent turn (3 tool calls) |"
    lines = [head + " round trips: first / warm / turn |", "|---|---:|---:|---:|---|"]
    for key in report.config.contenders_at(rtt):
        cells = []
        for measure in ("first", "warm", "turn"):
            s = _samples(report, f"{measure}@{rtt:g}", key)
            cells.append(f"{ms(s.median_ms)} (p90 {ms(s.p90_ms)})" if s else "")
        if any(cells):
            trips = " / ".join(_trips(report, key, m) for m in ("first", "warm", "turn"))
            lines.append(f"| {label(key)} | " + " | ".join(cells) + f" | {trips} |")
    return "\n".join(lines)


def _trips(report: Report, key: str, measure: str) -> str:
    found = round_trips(report, key, measure)
    return f"{found[0]:g}" if found else "-"


def counts_table(report: Report) -> str:
    lines = ["| contender | measure | requests + new connections | by kind |", "|---|---|---:|---|"]
    for key, measures in report.counts.items():
        for measure, counts in measures.items():
            detail = ", ".join(f"{m} {n:g}" for m, n in counts.items())
            lines.append(f"| {label(key)} | {measure} | {sum(counts.values()):g} | {detail} |")
    return "\n".join(lines)


def many_table(report: Report) -> str:
    base = report.many.get("fastmcp-reused", {}).get("throughput", 0.0)
    lines = [
        "| contender | users done | calls | calls/s | x fastmcp | client CPU ms/call | call "
        "median ms | call p90 ms | per-user setup ms | peak sessions | peak TCP conns | RSS "
        "growth MB |",
        "|---|" + "---:|" * 11,
    ]
    for key, r in report.many.items():
        rate = f"{r['throughput'] / base:.2f}" if base else "-"
        lines.append(
            f"| {label(key)} | {r['users']} | {r['calls']} | {r['throughput']:.1f} | {rate} | "
            f"{r['cpu_ms_per_call']:.2f} | {ms(r['median_ms'])} | {ms(r['p90_ms'])} | "
            f"{ms(r['setup_median_ms'])} | {r['peak_sessions']} | "
            f"{r['peak_server_connections']} | {r['rss_growth_mb']:.1f} |"
        )
    return "\n".join(lines)


def identities_table(report: Report) -> str:
    lines = [
        "| contender | identities | calls | calls/s | p50 ms | p99 ms | sessions opened | "
        "peak open | RSS start -> end MB | errors |",
        "|---|" + "---:|" * 9,
    ]
    for key, r in report.identities.items():
        rss = (
            f"{r['series'][0]['rss_mb']:.0f} -> {r['series'][-1]['rss_mb']:.0f}"
            if r["series"]
            else "-"
        )
        lines.append(
            f"| {label(key)} | {r['identities_seen']} | {r['calls']} | {r['throughput']:.0f} | "
            f"{ms(r['p50_ms'])} | {ms(r['p99_ms'])} | {r['sessions_opened']} | "
            f"{r['peak_open_sessions']} | {rss} | {r['errors']} |"
        )
    return "\n".join(lines)


def markdown(report: Report) -> str:
    cfg, meta = report.config, report.meta
    rows = ["| target | measured | met | note |", "|---|---|:---:|---|"]
    for target, measured, met in verdicts(report):
        verdict = "" if met is None else ("yes" if met else "**no**")
        rows.append(f"| {target.claim} | {measured} | {verdict} | {target.note} |")
    idargs = cfg.identity_args("ours-langchain")
    parts = [
        "# Benchmarks",
        "",
        "<!-- Generated by `python -m benchmarks` (benchmarks/report.py); edit the script. -->",
        "",
        f"- Command: `{meta.get('command', '')}`; {meta.get('seconds', '?')} s in all",
        f"- Machine: {meta.get('machine', '')}; load average (1, 5, 15 min) "
        f"{meta.get('load_before', '?')} before, {meta.get('load_after', '?')} after: the "
        "machine is shared, so compare rows of one table (measured interleaved), not runs",
        f"- Run: {meta.get('run_at', '')}; versions: {meta.get('versions', '')}",
        f"- langchain-mcp-adapters (needs mcp<2: its own interpreter, driven over a pipe): "
        f"{meta.get('peer_versions') or 'not run (no --peer-python)'}",
        "- Server: fastmcp echo server (streamable HTTP) in its own process on 127.0.0.1, "
        "with an injected delay of half the round-trip time before each request reaches "
        "it and half before its response starts, and one round trip more for each new TCP "
        "connection (the handshake; TLS would add one more).",
        "",
        "## How to run",
        "",
        "```sh",
        "make bench                                     # everything, a few minutes",
        ".venv/bin/python -m benchmarks --only distance,round_trips --no-write",
        ".venv/bin/python -m benchmarks --quick --out /tmp/bench      # seconds",
        ".venv/bin/python -m benchmarks --render benchmarks/results/latest.json  # re-render",
        "# langchain-mcp-adapters needs mcp<2, so it gets its own interpreter (found there):",
        "python3 -m venv ~/.cache/mcp-gateway-tools/peers && ~/.cache/mcp-gateway-tools/peers/"
        "bin/pip install 'langchain-mcp-adapters>=0.2,<0.4' psutil",
        "```",
        "",
        "## Targets",
        "",
        *rows,
        "",
        "## What the run shows",
        "",
        *(f"- {line}" for line in findings(report)),
        "",
        "## 1. At a gateway's distance",
        "",
        "Medians in ms (p90). *First call*: a never-seen user, from a warm process to the "
        "first result (the peers build that user's tools first: their tools carry the "
        "user's headers; ours reuse one tool list). *Warm*: a user whose session, if the "
        "contender keeps one, is open, right after an untimed call (so its connection is "
        "live: httpx2 closes idle ones after 5 s). *Agent turn*: the framework's agent "
        "(`create_agent` / `FunctionAgent` with the shipped scripted models) whose model "
        "asks for three tool calls at once, then answers; both frameworks run them in "
        "parallel; with no framework, three calls gathered. Round trips are counted at "
        f"the server (section 2). Samples per contender at a distance: first "
        f"{_n(cfg.distant['first'])}, warm {_n(cfg.distant['warm'])}, turn "
        f"{_n(cfg.distant['turn'])}; on loopback {_n(cfg.loopback['first'])}, "
        f"{_n(cfg.loopback['warm'])}, {_n(cfg.loopback['turn'])}.",
    ]
    for rtt in cfg.round_trips_ms:
        tag = "loopback" if rtt == 0 else f"{rtt:g} ms round trip"
        parts += ["", f"### {tag}", "", distance_table(report, rtt), "",
                  f"![{tag}]({_plot_name(rtt)})"]  # fmt: skip
    parts += [
        "",
        "Loopback in detail (client CPU per sample is the figure other load moves least):",
        "",
        samples_table(report.tables.get("warm@0", {}), "fastmcp-reused"),
        "",
        samples_table(report.tables.get("first@0", {}), "fastmcp-fresh"),
        "",
        "## 2. Round trips, counted at the server",
        "",
        "HTTP requests by JSON-RPC method (other HTTP methods by name) plus new TCP "
        f"connections: a new user's first call, per warm call (mean of {cfg.counted_calls}), "
        "and one agent turn of a warm user.",
        "",
        counts_table(report),
        "",
        "## 3. Warm-call overhead through LangChain (loopback)",
        "",
        f"{cfg.overhead[0]} rounds x {cfg.overhead[1]} calls, alternating. Both LangChain "
        "rows pay LangChain's tool-call path (`BaseTool.ainvoke`: callback manager, child "
        "run, ToolMessage); the difference is ours.",
        "",
        samples_table(report.tables.get("overhead", {}), "thin-langchain"),
        "",
        "Where the CPU goes, per call (cProfile on process time over the same number of "
        "calls, so waiting is not counted; profiling inflates every figure alike, so read "
        "the shares):",
        "",
        profile_tables(report),
        "",
        f"## 4. {cfg.identity_count:,} identities through one process",
        "",
        f"{idargs['calls']:,} calls: every identity once plus Zipf-distributed repeats "
        f"(s = {idargs['zipf']}), a user's token rotating every {idargs['rotate_every']} of "
        f"their calls, {idargs['concurrency']} calls at a time, at most "
        + ", ".join(f"{b:g} s ({label(k)})" for k, b in cfg.identity_budgets.items())
        + "; each contender in its own process, the default "
        "`max_sessions` (256). Ours: one LangChain tool for everyone, the token per call. "
        "fastmcp: a Client per user, replaced when the token rotates. Sessions opened = "
        "`server/discover` + `initialize` at the server.",
        "",
        identities_table(report),
        "",
        "![identities](benchmarks-identities.png)",
        "",
        "## 5. Many new users at once (loopback)",
        "",
        f"{cfg.users} users x {cfg.calls} sequential calls, {cfg.concurrency} users at a "
        f"time, each contender in its own process, no call after {cfg.budget:g} s (slow "
        "contenders finish fewer users); peak sessions = MCP sessions open client-side.",
        "",
        many_table(report),
        "",
        "## 6. Tool loading",
        "",
        f"{cfg.load_tools} tools x {cfg.load_servers} servers, listed concurrently. Cold: a "
        "new Gateway; cached: the same again (per-identity listing cache). The peers have "
        "no cache and their tools carry one user's headers: every new user pays their time.",
        "",
        samples_table(report.tables.get("loading", {}), "ours: LangChain GatewayToolkit, cold"),
        "",
        "## 7. Through the dev gateway",
        "",
        "Warm calls through `python -m mcp_gateway_tools.devgateway` (its own process) in "
        "front of the echo server; requests per call at the echo server are in section 2 "
        "(measure `gateway`).",
        "",
        samples_table(report.tables.get("gateway", {}), "fastmcp-reused"),
    ]
    if report.unavailable:
        parts += ["", "## Could not run here", ""]
        parts += [f"- **{who}**: {why}" for who, why in report.unavailable.items()]
    parts += ["", "## What each contender does", ""]
    parts += [f"- **{c.name}**: {c.what}." for c in CONTENDERS.values()]
    return "\n".join(parts) + "\n"


def findings(report: Report) -> list[str]:
    """The run read in sentences, each computed from its data."""
    out = []
    first, stateless = (
        report.counts.get(LC, {}).get("first"),
        report.counts.get("fastmcp-stateless", {}).get("first"),
    )
    if first and stateless:
        out.append(
            f"A new user's first call costs ours {_kinds(first)}: `server/discover` because "
            "the 2026-07-28 revision learns the server per session, and no `tools/list` "
            "(the adapters hand the core the tool's output schema). A fastmcp Client pinned "
            f"to that revision skips discover but lists: {_kinds(stateless)}. Reusing the "
            "first identity's `server/discover` result for the next identity at the same "
            "server (fastmcp's `prior_discover`) would bring ours to 1 round trip, provided "
            "the gateway answers discover alike for every identity."
        )
    for rtt in [r for r in report.config.round_trips_ms if r]:
        ours, thin = (
            _samples(report, f"turn@{rtt:g}", LC),
            _samples(report, f"turn@{rtt:g}", "thin-langchain"),
        )
        if ours and thin:
            out.append(
                f"At {rtt:g} ms an agent turn of three parallel calls took ours "
                f"{ms(ours.median_ms)} ms; the same `create_agent` turn over the thinnest "
                f"StructuredTool {ms(thin.median_ms)} ms, so LangGraph's own cost on this "
                f"machine (about {ms(max(0.0, thin.median_ms - rtt))} ms at this load) is "
                "what separates both from the one-round-trip floor."
            )
    turn = report.counts.get(LC, {}).get("turn", {})
    if turn.get("connections"):
        out.append(
            f"Three parallel calls need three HTTP/1.1 connections: a turn opened "
            f"{turn['connections']:g} new one(s), each a round trip more (two with TLS) when "
            "the pool's idle connections have expired (httpx2 keeps them 5 s)."
        )
    prof = report.profile.get(LC)
    if prof:
        total, own = sum(prof["groups"].values()), prof["groups"].get("ours", 0.0)
        out.append(
            f"Warm through LangChain, our own code is {100 * own / total:.1f} % of the "
            "call's CPU (section 3): the session lookup, the per-call token and its "
            "fingerprint, the argument check, consent-link capture and the result shapes, "
            "each a documented behaviour; the rest is LangChain, the MCP SDK and HTTP, "
            "paid alike by the thinnest StructuredTool."
        )
    ours_run, peer_run = report.identities.get(LC), report.identities.get("fastmcp-reused")
    if ours_run and peer_run and peer_run["identities_seen"]:
        grown = peer_run["series"][-1]["rss_mb"] - peer_run["series"][0]["rss_mb"]
        per = grown / peer_run["identities_seen"]
        out.append(
            f"Identities: ours served {ours_run['identities_seen']:,} in "
            f"{ours_run['seconds']:.0f} s with at most {ours_run['peak_open_sessions']} "
            f"sessions open; a fastmcp Client per user reached "
            f"{peer_run['identities_seen']:,} in {peer_run['seconds']:.0f} s holding one "
            f"session each and {per:.2f} MB per identity (about {per * 10:.0f} GB for "
            "10,000, if nothing else gave way first)."
        )
    return out


def _kinds(counts: dict[str, float]) -> str:
    return f"{sum(counts.values()):g} (" + ", ".join(f"{m} {n:g}" for m, n in counts.items()) + ")"


def _n(size: Any) -> str:
    return f"{size[0]} x {size[1]}"


PURPOSES = {
    "_toolset.py": "arguments checked against the tool's input schema before sending "
    "(`InvalidArguments` a model can act on; docs/core-api.md)",
    "_tokens.py": "the token resolved per call and keyed by an HMAC fingerprint (one session "
    "per identity, DESIGN §2; a pasted `Bearer` and control characters refused)",
    "_sessions.py": "the pooled session per (endpoint, identity): lookup, LRU, idle expiry",
    "_gateway.py": "addressing, the error mapping around each call (`_run`)",
    "_addressing.py": "server-name validation (nothing steps outside `/mcp/<name>/server`)",
    "_client.py": "consent links captured during the call (URL elicitation)",
    "_content.py": "the result as typed content blocks",
    "_transport.py": "the error-preserving transport (keeps a 401's body; DESIGN §2)",
    "langchain/_tool.py": "the per-call token from the run config, the authorization policy",
    "langchain/_binding.py": "the per-call token from the run config or context",
    "langchain/_render.py": "`langchain.mcp`'s result shapes (content blocks + artifact)",
}


def profile_tables(report: Report) -> str:
    prof = report.profile
    if not prof:
        return ""
    ours, thin = prof.get("ours-langchain", {}), prof.get("thin-langchain", {})
    groups = sorted(set(ours.get("groups", {})) | set(thin.get("groups", {})))
    lines = ["| CPU ms per call | ours | thinnest StructuredTool | difference |",
             "|---|---:|---:|---:|"]  # fmt: skip
    for group in [*groups, "total"]:
        a = sum(ours["groups"].values()) if group == "total" else ours["groups"].get(group, 0.0)
        b = sum(thin["groups"].values()) if group == "total" else thin["groups"].get(group, 0.0)
        lines.append(f"| {group} | {a:.3f} | {b:.3f} | {a - b:+.3f} |")
    lines += ["", "Our own code by module (self time, ms per call), and the documented behaviour "
              "each serves:", "", "| module | ms | serves |", "|---|---:|---|"]  # fmt: skip
    for module, cost in sorted(ours.get("ours", {}).items(), key=lambda kv: -kv[1]):
        lines.append(f"| `{module}` | {cost:.3f} | {PURPOSES.get(module, '')} |")
    return "\n".join(lines)


# -- README ------------------------------------------------------------------------------

README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"
README_ROWS = [("first", "a new user's first call"), ("warm", "warm tool call"),
               ("turn", "agent turn, 3 tool calls")]  # fmt: skip
README_PEERS = ["fastmcp-fresh", "langchain.mcp", "langchain-mcp-adapters", "llama-index-tools-mcp"]


def readme_block(report: Report) -> str:
    """Medians at the middle distance for the README, between the bench markers."""
    rtts = [r for r in report.config.round_trips_ms if r]
    rtt = rtts[len(rtts) // 2] if rtts else 0.0

    def cell(measure: str, key: str) -> str:
        s = _samples(report, f"{measure}@{rtt:g}", key)
        return f"{ms(s.median_ms)} ms" if s else "n/a"

    peers = README_PEERS
    lines = [
        f"| at {rtt:g} ms round trip (median) | ours: LangChain | ours: LlamaIndex | "
        + " | ".join(label(k) for k in peers)
        + " |",
        "|---|" + "---:|" * (2 + len(peers)),
    ]
    for measure, title in README_ROWS:
        cells = [cell(measure, k) for k in (LC, LI, *peers)]
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    trips = [_trips(report, k, "warm") for k in (LC, LI, *peers)]
    lines.append("| round trips per warm call | " + " | ".join(trips) + " |")
    ident = report.identities.get(LC)
    met = sum(1 for _, _, ok in verdicts(report) if ok)
    total = sum(1 for _, _, ok in verdicts(report) if ok is not None)
    lines += [
        "",
        f"{report.meta.get('machine', '')}; {report.meta.get('run_at', '')}; load average "
        f"{report.meta.get('load_before', '?')}. Command: `{report.meta.get('command', '')}`. "
        f"Targets met: {met} of {total}"
        + (
            f"; {ident['identities_seen']:,} identities through one process: "
            f"{ident['throughput']:.0f} calls/s, p99 {ms(ident['p99_ms'])} ms, at most "
            f"{ident['peak_open_sessions']} sessions open"
            if ident
            else ""
        )
        + ". Every latency, the round trips, the loopback overhead and what each contender "
        "does: [docs/benchmarks.md](docs/benchmarks.md).",
    ]
    return "\n".join(lines)


def update_readme(path: Path, block: str) -> bool:
    """Replace what is between the bench markers; False when the markers are missing."""
    text = path.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return False
    path.write_text(text[: start + len(README_START)] + "\n" + block + "\n" + text[end:])
    return True


# -- plots -------------------------------------------------------------------------------

COLORS = {"ours": "#2a9d4b", "floor": "#8d99ae", "peer": "#e07a2f"}


def _plot_name(rtt: float) -> str:
    return "benchmarks-loopback.png" if rtt == 0 else f"benchmarks-{rtt:g}ms.png"


def plots(report: Report, out: Path) -> list[Path]:
    """One chart per distance (first / warm / turn side by side) and one of identities."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for rtt in report.config.round_trips_ms:
        fig, axes = plt.subplots(1, 3, figsize=(15, 4.8), sharey=True)
        keys = [k for k in report.config.contenders_at(rtt)][::-1]
        for ax, (measure, title) in zip(axes, README_ROWS, strict=True):
            values = [
                (_samples(report, f"{measure}@{rtt:g}", k) or Samples()).median_ms for k in keys
            ]
            ax.barh([label(k) for k in keys], values,
                    color=[COLORS[CONTENDERS[k].family] for k in keys])  # fmt: skip
            for i, v in enumerate(values):
                if v:
                    ax.text(v, i, f" {v:.3g}", va="center", fontsize=8)
            if rtt:
                for n in range(1, int(max(values, default=0) / rtt) + 1):
                    ax.axvline(n * rtt, color="#cccccc", lw=0.8, zorder=0)
            ax.set_title(f"{title} (median ms)", fontsize=10)
            ax.tick_params(axis="y", labelsize=8)
            ax.margins(x=0.18)
        tag = "loopback" if rtt == 0 else f"{rtt:g} ms round trip (grey lines: round trips)"
        fig.suptitle(f"{tag}. green: mcp-gateway-tools, grey: raw clients, orange: peers")
        fig.tight_layout()
        written.append(_save(fig, out / _plot_name(rtt)))
    if report.identities:
        fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5))
        for key, run in report.identities.items():
            t = [p["t"] for p in run["series"]]
            left.plot(t, [p["rss_mb"] for p in run["series"]], label=label(key))
            right.plot(t, [p["open_sessions"] for p in run["series"]], label=label(key))
        left.set(title="client RSS (MB) over time (s)", xlabel="s")
        right.set(title="MCP sessions open over time (s)", xlabel="s", yscale="log")
        left.legend(fontsize=8)
        fig.tight_layout()
        written.append(_save(fig, out / "benchmarks-identities.png"))
    plt.close("all")
    return written


def _save(fig: Any, path: Path) -> Path:
    fig.savefig(path, dpi=100)
    return path


# -- the run's circumstances -------------------------------------------------------------


def load_average() -> str:
    with contextlib.suppress(OSError):
        return ", ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


def meta(peer_python: str | None) -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    names = ["fastmcp", "mcp", "httpx2", "langchain-core", "langchain", "langgraph",
             "llama-index-core", "llama-index-tools-mcp"]  # fmt: skip
    found = []
    for package in names:
        with contextlib.suppress(md.PackageNotFoundError):
            found.append(f"{package} {md.version(package)}")
    return {
        "machine": f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}",
        "run_at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_before": load_average(),
        "versions": ", ".join(found),
        "peer_versions": _peer_versions(peer_python),
    }


def _peer_versions(python: str | None) -> str:
    if not python:
        return ""
    code = (
        "import importlib.metadata as m, platform; print('Python', platform.python_version(), "
        "', '.join(n + ' ' + m.version(n) for n in ('langchain-mcp-adapters', 'langchain-core', "
        "'mcp')))"
    )
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else f"unusable: {done.stderr[-300:]}"
