"""What the run writes beside the Markdown: the plots, the README block, the run's
circumstances (machine, load, versions)."""

from __future__ import annotations

import contextlib
import datetime
import importlib.metadata as md
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from .contenders import CONTENDERS
from .data import Report, Samples
from .targets import LC, LI, _samples, _trips, label, ms, verdicts

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
