"""The benchmark chart (docs/benchmarks.png): medians per step, ours beside the others."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _config import Report

from _report import COLORS, family


def plot(report: Report, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    fig, axes = plt.subplots(2, 2, figsize=(13, 8.5))
    panels: list[tuple[Any, str, list[tuple[str, float, float | None]], bool]] = [
        (
            axes[0][0],
            "1. Warm call, one user (median ms, p90 tick; log)",
            [(s.name, s.median_ms, s.p90_ms) for s in report.warm.values() if s.seconds],
            True,
        ),
        (
            axes[0][1],
            "2. First call of a new user (median ms, p90 tick; log)",
            [(s.name, s.median_ms, s.p90_ms) for s in report.first.values() if s.seconds],
            True,
        ),
        (
            axes[1][0],
            f"3. Many users: throughput (calls/s), {report.config.users} users x "
            f"{report.config.calls} calls, {report.config.concurrency} at a time",
            [(r["name"], r["throughput"], None) for r in report.many],
            False,
        ),
        (
            axes[1][1],
            "4. HTTP requests per warm tool call (at the server)",
            [(label, sum(c.values()), None) for label, c in report.requests.items()],
            False,
        ),
    ]
    for ax, title, rows, log in panels:
        labels = [r[0] for r in rows][::-1]
        values = [r[1] for r in rows][::-1]
        colors = [COLORS.get(family(lbl), "#999999") for lbl in labels]
        ax.barh(labels, values, color=colors)
        for i, row in enumerate(rows[::-1]):
            if row[2] is not None:
                ax.plot([row[2]], [i], marker="|", color="black", markersize=12)
            right = max(row[1], row[2] or 0.0)
            ax.text(right * (1.08 if log else 1.0), i, f" {row[1]:.3g}", va="center", fontsize=8)
        if log and values:
            ax.set_xscale("log")
            ticks = [t for t in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)]
            lo, hi = min(values) / 1.5, max(r[2] or r[1] for r in rows) * 2.5
            ax.set_xticks([t for t in ticks if lo <= t <= hi])
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xlim(lo, hi)
        ax.set_title(title, fontsize=10)
        ax.tick_params(axis="y", labelsize=8)
        ax.margins(x=0.15)
    fig.suptitle(
        "mcp-gateway-tools vs raw clients and peer integrations "
        "(green: ours, grey: raw floors, orange: peers)",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
