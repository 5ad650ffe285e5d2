"""The benchmark report: Markdown tables, the targets verdict, and one PNG."""

from __future__ import annotations

import contextlib
import datetime
import importlib.metadata as md
import os
import platform
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _contenders import CONTENDERS
from _harness import Samples

if TYPE_CHECKING:
    from _config import Report

PEER_ONLY = ("langchain-mcp-adapters",)
LOAD_BASELINE = "ours: LangChain GatewayToolkit, cold"
COLORS = {"ours": "#2a9d4b", "floor": "#8d99ae", "peer": "#e07a2f"}


def name(key: str) -> str:
    return CONTENDERS[key].name


def family(label: str) -> str:
    for contender in CONTENDERS.values():
        if contender.name == label:
            return contender.family
    return "ours" if label.startswith("ours") else "peer"


def ms(value: float) -> str:
    return f"{value:,.1f}" if value >= 100 else f"{value:.2f}"


def samples_table(results: dict[str, Samples], baseline: str) -> str:
    """Median, p90, n and the ratio of medians to ``baseline`` (computed in this run),
    plus this process's CPU per sample when it was recorded."""
    base = results.get(baseline)
    with_cpu = any(s.cpu for s in results.values())
    head = f"| contender | median ms | p90 ms | n | x {baseline} |"
    rule = "|---|---:|---:|---:|---:|"
    if with_cpu:
        head += " client CPU ms | CPU x |"
        rule += "---:|---:|"
    lines = [head, rule]
    for s in results.values():
        if not s.seconds:
            continue
        ratio = f"{s.median_ms / base.median_ms:.2f}" if base and base.median_ms else "-"
        row = f"| {s.name} | {ms(s.median_ms)} | {ms(s.p90_ms)} | {len(s.seconds)} | {ratio} |"
        if with_cpu and not s.cpu:
            row += " - | - |"
        elif with_cpu:
            cpu_ratio = f"{s.cpu_ms / base.cpu_ms:.2f}" if base and base.cpu_ms else "-"
            row += f" {ms(s.cpu_ms)} | {cpu_ratio} |"
        lines.append(row)
    return "\n".join(lines)


def requests_table(requests: dict[str, dict[str, float]]) -> str:
    lines = ["| contender | HTTP requests per call | by method |", "|---|---:|---|"]
    for label, counts in requests.items():
        total = sum(counts.values())
        detail = ", ".join(f"{m} {n:g}" for m, n in counts.items())
        lines.append(f"| {label} | {total:g} | {detail} |")
    return "\n".join(lines)


def many_table(rows: list[dict[str, Any]], baseline: str) -> str:
    base = next((r["throughput"] for r in rows if r["name"] == baseline), 0.0)
    lines = [
        "| contender | users done | calls | calls/s | x raw fastmcp | client CPU ms/call "
        "| call median ms | call p90 ms | per-user setup ms | peak sessions "
        "| peak TCP conns | RSS growth MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ratio = f"{r['throughput'] / base:.2f}" if base else "-"
        lines.append(
            f"| {r['name']} | {r['users']} | {r['calls']} | {r['throughput']:.1f} | {ratio} "
            f"| {r['cpu_ms_per_call']:.2f} "
            f"| {ms(r['median_ms'])} | {ms(r['p90_ms'])} | {ms(r['setup_median_ms'])} "
            f"| {r['peak_sessions']} | {r['peak_server_connections']} "
            f"| {r['rss_growth_mb']:.1f} |"
        )
    return "\n".join(lines)


def targets(report: Report) -> list[tuple[str, str, bool | None, str]]:
    """(target, measured, met, note) for each of issue 7's targets; met None = context."""
    out: list[tuple[str, str, bool | None, str]] = []
    warm, first = report.warm, report.first
    lc, li, raw = name("ours-langchain"), name("ours-llamaindex"), name("raw-fastmcp")
    peer, held = name("langchain.mcp"), name("langchain.mcp-held")
    if lc in warm and raw in warm:
        r = warm[lc].median_ms / warm[raw].median_ms
        note = ""
        if r > 1.10 and held in warm:
            framework = warm[held].cpu_ms - warm[raw].cpu_ms
            ours_part = warm[lc].cpu_ms - warm[held].cpu_ms
            note = (
                "LangChain's own tool-call path (BaseTool.ainvoke: callback manager, child "
                f"task, ToolMessage) cost {framework:.2f} ms of CPU per call in this run: "
                "langchain.mcp over a held session pays it too (next row); ours added "
                f"{ours_part:.2f} ms on top (adapter + core measured alone: ~0.06 ms)"
            )
        cpu = warm[lc].cpu_ms / warm[raw].cpu_ms if warm[raw].cpu_ms else 0.0
        out.append(
            (
                "warm LangChain tool call <= 1.10 x raw fastmcp reused client",
                f"{r:.2f} x ({ms(warm[lc].median_ms)} vs {ms(warm[raw].median_ms)} ms); "
                f"client CPU {cpu:.2f} x",
                r <= 1.10,
                note,
            )
        )
    if lc in warm and held in warm:
        r = warm[lc].median_ms / warm[held].median_ms
        out.append(
            (
                "(context) warm LangChain tool call vs a LangChain tool over a held session "
                "(langchain.mcp, adapter held open)",
                f"{r:.2f} x ({ms(warm[lc].median_ms)} vs {ms(warm[held].median_ms)} ms)",
                None,
                "same framework path, so this ratio isolates what is ours",
            )
        )
    if li in warm and raw in warm:
        r = warm[li].median_ms / warm[raw].median_ms
        out.append(
            (
                "(context) warm LlamaIndex tool call vs raw fastmcp reused client",
                f"{r:.2f} x ({ms(warm[li].median_ms)} vs {ms(warm[raw].median_ms)} ms)",
                None,
                "",
            )
        )
    if lc in warm and peer in warm:
        r = warm[peer].median_ms / warm[lc].median_ms
        note = ""
        if r < 10:
            rows = {row["name"]: row for row in report.many}
            many = ""
            if lc in rows and peer in rows and rows[peer]["throughput"]:
                many = (
                    f"; with many users ours do "
                    f"{rows[lc]['throughput'] / rows[peer]['throughput']:.0f} x its calls/s"
                )
            floor = (
                f"; the raw fastmcp floor is {warm[peer].median_ms / warm[raw].median_ms:.1f} x"
                if raw in warm
                else ""
            )
            note = (
                "langchain.mcp's per-call session (3 requests and a fresh connection) costs "
                f"{ms(warm[peer].median_ms)} ms here; ours carry LangChain's own tool-call "
                f"overhead, as any LangChain tool does{floor}{many}"
            )
        out.append(
            (
                ">= 10 x faster than langchain.mcp's per-call pattern (warm)",
                f"{r:.1f} x faster ({ms(warm[lc].median_ms)} vs {ms(warm[peer].median_ms)} ms)",
                r >= 10,
                note,
            )
        )
    for ours in (lc, li):
        if ours in first and raw in first:
            r = first[ours].median_ms / first[raw].median_ms
            out.append(
                (
                    f"new user's first call <= 0.3 x a fresh fastmcp Client ({ours})",
                    f"{r:.2f} x ({ms(first[ours].median_ms)} vs {ms(first[raw].median_ms)} ms)",
                    r <= 0.3,
                    ""
                    if r <= 0.3
                    else "a new user's session costs 2 requests (server/discover, tools/call: "
                    "the adapter hands the core the tool's output schema, so the SDK's "
                    "validation tools/list is skipped); what remains is connect cost",
                )
            )
    for ours in (lc, li):
        if ours in report.requests:
            counts = report.requests[ours]
            total = sum(counts.values())
            out.append(
                (
                    f"exactly 1 HTTP request per warm call ({ours})",
                    ", ".join(f"{m} {n:g}" for m, n in counts.items()) or "none",
                    abs(total - 1) < 1e-9 and counts.get("tools/call") == 1,
                    "",
                )
            )
    rows = {r["name"]: r for r in report.many}
    if raw in rows:
        base = rows[raw]["throughput"]
        for key in ("ours-langchain", "ours-langchain-32", "ours-llamaindex"):
            r = rows.get(name(key))
            if r is None:
                continue
            ratio = r["throughput"] / base if base else 0.0
            bound = 32 if key.endswith("-32") else 256
            bounded = r["peak_sessions"] <= bound + 2  # +2: the loader and warm-up identities
            out.append(
                (
                    f"many users: throughput >= 0.9 x raw fastmcp, bounded ({r['name']})",
                    f"{ratio:.2f} x ({r['throughput']:.0f} vs {base:.0f} calls/s); "
                    f"CPU {r['cpu_ms_per_call']:.1f} vs {rows[raw]['cpu_ms_per_call']:.1f} "
                    f"ms/call; peak {r['peak_sessions']} sessions (bound {bound}), "
                    f"RSS +{r['rss_growth_mb']:.0f} MB",
                    ratio >= 0.9 and bounded and r["errors"] == 0,
                    "",
                )
            )
    return out


def markdown(report: Report, *, command: str) -> str:
    cfg = report.config
    raw = name("raw-fastmcp")
    parts = [
        "# Benchmarks",
        "",
        "<!-- Generated by benchmarks/run.py; edit the script, not this file. -->",
        "",
        f"- Command: `{command}`",
        f"- Machine: {report.machine or machine()}",
        f"- Run: {report.run_at or today()}, {report.seconds:.0f} s in all",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in versions().items() if k not in PEER_ONLY),
        "- langchain-mcp-adapters (needs mcp<2, so it runs in its own interpreter, driven "
        "over a pipe): " + (report.peer_versions or "not run (no --peer-python)"),
        "- Server: fastmcp echo server (streamable HTTP) in its own process on 127.0.0.1; "
        "contenders alternate round by round; ratios are medians over medians from the "
        "same run.",
        "",
        "## How to run",
        "",
        "```sh",
        "make bench                                   # everything, ~3-4 minutes on 2 CPUs",
        ".venv/bin/python benchmarks/run.py --only warm,requests --no-write   # some steps",
        ".venv/bin/python benchmarks/run.py --quick --out /tmp/bench          # seconds",
        "# langchain-mcp-adapters needs mcp<2, so it gets its own interpreter (found there):",
        "python3 -m venv .venv/peers && .venv/peers/bin/pip install "
        "'langchain-mcp-adapters>=0.2,<0.4' psutil",
        "```",
        "",
        "The machine is shared and loaded unevenly: compare rows of one table (measured "
        "in the same run, interleaved), not runs. The client CPU per call in step 3 is the "
        "figure least moved by other load.",
        "",
        "## Targets",
        "",
        "| target | measured | met | note |",
        "|---|---|:---:|---|",
    ]
    for target, measured, met, note in targets(report):
        verdict = "" if met is None else ("yes" if met else "**no**")
        parts.append(f"| {target} | {measured} | {verdict} | {note} |")
    parts += [
        "",
        "## 1. Warm sequential calls of one user",
        "",
        f"{cfg.warm_rounds} rounds x {cfg.warm_per_round} calls per contender, alternating; "
        "each contender's session, if it keeps one, is already open.",
        "",
        samples_table(report.warm, raw),
        "",
        "## 2. First call of a user never seen before",
        "",
        "From a warm process (imports and any shared state done) to the first result for a "
        "new token: for the peers that includes building that user's tools (their tools "
        "carry the user's headers); ours reuse one tool list for every user. Releasing the "
        f"user afterwards is not timed. {cfg.first_rounds} rounds x {cfg.first_per_round}.",
        "",
        samples_table(report.first, raw),
        "",
        "## 3. Many users",
        "",
        f"{cfg.users} users x {cfg.calls} sequential calls, {cfg.concurrency} users at a "
        f"time, each contender in its own process; no call starts after {cfg.budget:g} s, so "
        "slow contenders finish fewer users. calls/s is over the wall time including each "
        "user's setup; peak sessions = MCP sessions open on the client side (pooled, held "
        "or in flight); peak TCP conns = the process's established connections to the server; "
        "RSS growth = the client process, peak during the run minus before it.",
        "",
        many_table(report.many, raw),
        "",
        "## 4. HTTP requests per tool call at steady state",
        "",
        f"Counted at the server over {cfg.request_calls} calls after two warm-up calls.",
        "",
        requests_table(report.requests),
        "",
        "## 5. Tool loading",
        "",
        f"{cfg.load_tools} tools x {cfg.load_servers} servers, the servers listed "
        "concurrently. Cold: a new Gateway (no session, nothing cached). Cached: the same "
        "call again (the Gateway's per-identity listing cache). The peers have no listing "
        "cache; as their tools carry one user's headers, every new user pays their cold "
        f"time again, while ours build the list once for every user. {cfg.load_rounds} rounds.",
        "",
        samples_table(report.loading, LOAD_BASELINE),
    ]
    if report.gateway:
        parts += [
            "",
            "## 6. Through the dev gateway",
            "",
            "The same warm calls, through `python -m mcp_gateway_tools.devgateway` (its own "
            "process) in front of the echo server; requests counted at the echo server "
            "(what the gateway forwards).",
            "",
            samples_table(report.gateway, raw),
            "",
            requests_table(report.gateway_requests),
        ]
    if report.unavailable:
        parts += ["", "## Could not run here", ""]
        for label, why in report.unavailable.items():
            parts.append(f"- **{label}**: {why}")
    parts += [
        "",
        "## What each contender does",
        "",
        "- **ours: LangChain GatewayTool**: `GatewayToolkit(gateway, servers).aget_tools()` "
        "once; each call `await tool.ainvoke(tool_call, config={'configurable': "
        "{'user_token': SecretStr(token)}})`.",
        "- **ours: LlamaIndex GatewayTool**: `GatewayToolSpec(...).to_tool_list_async()` "
        "once; each call `await tool.acall(text=...)` under `user_token(token)`.",
        "- **raw fastmcp Client**: `Client(url, auth=token)` opened once per user, "
        "`call_tool_mcp` (no result conversion): the floor for a pooled session.",
        "- **raw httpx2 JSON-RPC POST**: `initialize` once, then one `tools/call` POST per "
        "call on a shared httpx2 client: the physical floor.",
        "- **langchain.mcp**: `MCPAdapter(Client(url, auth=token)).list_tools()` per user; "
        "each tool call runs `async with client` (a session per call). *held*: the adapter "
        "kept open with `async with adapter` (one session per user, never shared).",
        "- **langchain-mcp-adapters**: `MultiServerMCPClient({...headers...}).get_tools()` "
        "per user, a session per call; in its own interpreter (mcp<2), each call forwarded "
        "over a pipe (~0.1 ms). Not in step 5.",
        "- **llama-index-tools-mcp**: `McpToolSpec(BasicMCPClient(url, headers=...))"
        ".to_tool_list_async()` per user, a session per call.",
        "",
        "![benchmarks](benchmarks.png)",
        "",
    ]
    return "\n".join(parts)


def versions() -> dict[str, str]:
    names = [
        "fastmcp",
        "mcp",
        "httpx2",
        "langchain-core",
        "langchain",
        "langgraph",
        "llama-index-core",
        "langchain-mcp-adapters",
        "llama-index-tools-mcp",
    ]
    found = {}
    for name in names:
        with contextlib.suppress(md.PackageNotFoundError):
            found[name] = md.version(name)
    return found


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def today() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
