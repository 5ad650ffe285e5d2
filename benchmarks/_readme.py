"""The README's benchmark block, written between its markers from a run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from _harness import Samples

if TYPE_CHECKING:
    from _config import Report

from _report import LOAD_BASELINE, machine, ms, name, today

README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"


def readme_block(report: Report, *, command: str) -> str:
    """The short table for the README (between the bench markers)."""
    lc, li = name("ours-langchain"), name("ours-llamaindex")
    peers = ["langchain.mcp", "langchain-mcp-adapters", "llama-index-tools-mcp"]

    def median(results: dict[str, Samples], label: str) -> str:
        s = results.get(label)
        return f"{ms(s.median_ms)} ms" if s and s.seconds else "n/a"

    def others(results: dict[str, Samples], floor: str, floor_label: str) -> str:
        parts = [f"{floor_label} {median(results, name(floor))}"]
        parts += [f"{key} {median(results, name(key))}" for key in peers if name(key) in results]
        return "; ".join(parts)

    many = {r["name"]: r for r in report.many}

    def rate(label: str) -> str:
        r = many.get(label)
        return f"{r['throughput']:.0f}" if r else "n/a"

    ours_many = many.get(lc)
    ours_many_text = "n/a"
    if ours_many:
        bounded = many.get(name("ours-langchain-32"))
        ours_many_text = (
            f"LangChain {rate(lc)}, LlamaIndex {rate(li)} calls/s; "
            f"{ours_many['peak_sessions']} sessions held, +{ours_many['rss_growth_mb']:.0f} MB"
        )
        if bounded:
            ours_many_text += f" (max_sessions=32: {rate(bounded['name'])} calls/s, 32 held)"
    peer_many = "; ".join(
        [f"fastmcp Client per user {rate(name('raw-fastmcp'))}"]
        + [f"{key} {rate(name(key))}" for key in peers if name(key) in many]
    )
    requests = report.requests
    peer_requests = "; ".join(
        f"{key} {sum(requests[name(key)].values()):g}" for key in peers if name(key) in requests
    )
    loading = report.loading
    rows = [
        "| measurement | mcp-gateway-tools | alternatives |",
        "|---|---|---|",
        f"| warm tool call, one user (median) | LangChain {median(report.warm, lc)}, "
        f"LlamaIndex {median(report.warm, li)} | "
        + others(report.warm, "raw-fastmcp", "raw fastmcp Client held open")
        + " |",
        f"| a new user's first call (median) | LangChain {median(report.first, lc)}, "
        f"LlamaIndex {median(report.first, li)} | "
        + others(report.first, "raw-fastmcp", "fresh fastmcp Client")
        + " |",
        f"| many users: {report.config.users} x {report.config.calls} calls, "
        f"{report.config.concurrency} at a time | {ours_many_text} | {peer_many} (calls/s) |",
        "| HTTP requests per warm call | "
        + (f"{sum(requests[lc].values()):g}" if lc in requests else "n/a")
        + f" | {peer_requests} |",
        f"| loading {report.config.load_tools} tools x {report.config.load_servers} servers "
        f"| cold {median(loading, LOAD_BASELINE)}, cached "
        f"{median(loading, 'ours: LangChain GatewayToolkit, cached')}; once for all users "
        f"| langchain.mcp {median(loading, 'langchain.mcp MCPAdapter.list_tools x servers')}, "
        f"llama-index-tools-mcp {median(loading, 'llama-index-tools-mcp McpToolSpec x servers')}"
        " per user |",
        "",
        f"Loopback, fastmcp echo server; {report.machine or machine()}; "
        f"{report.run_at or today()}. Command: `{command}`. "
        "p90, client CPU, the targets and what each contender does: "
        "[docs/benchmarks.md](docs/benchmarks.md).",
    ]
    return "\n".join(rows)


def update_readme(path: Path, block: str) -> bool:
    """Replace what is between the bench markers; False when the markers are missing."""
    text = path.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return False
    head = text[: start + len(README_START)]
    path.write_text(head + "\n" + block + "\n" + text[end:], encoding="utf-8")
    return True
