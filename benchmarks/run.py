"""All benchmarks, side by side with the alternatives, in one run.

    make bench                      # or: .venv/bin/python benchmarks/run.py
    .venv/bin/python benchmarks/run.py --quick --out /tmp/bench   # a few seconds

Against a fastmcp echo server in its own process (loopback), alternating rounds between
contenders, medians and p90, ratios computed in the same run:

1. warm sequential calls of one user;
2. the first call of a user never seen before;
3. many users (200 users x 10 calls, 20 at a time, bounded in count and time), each
   contender in its own process: throughput, p90, peak sessions, server connections, RSS;
4. HTTP requests per tool call at steady state, counted at the server;
5. tool loading, 50 tools x 5 servers, cold and cached;
6. (separately) warm calls through the dev gateway.

Prints a Markdown report and writes it to ``docs/benchmarks.md`` with
``docs/benchmarks.png`` (``--out`` elsewhere, ``--no-write`` to only print).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _config import COMMAND, PEER_VENV, RESULTS, ROOT, STEPS, Config, Report
from _harness import running_servers
from _steps import (
    bench_first,
    bench_gateway,
    bench_loading,
    bench_requests,
    bench_warm,
)
from _steps_many import bench_many


async def collect(cfg: Config, log: Callable[[str], None] = print) -> Report:
    from _report import machine, today

    report = Report(cfg, run_at=today(), machine=machine())
    report.peer_versions = peer_versions(cfg.peer_python)
    started = time.perf_counter()
    loading = cfg.loading and "loading" in cfg.steps
    sizes = [0, max(0, cfg.load_tools - 2)] if loading else [0]
    with running_servers(*sizes) as servers:  # one server with many tools for loading
        server = servers[0]
        steps: list[tuple[str, str, Callable[[], Awaitable[None]]]] = [
            ("warm", "1/6 warm calls", lambda: bench_warm(server.url, cfg, report)),
            ("first", "2/6 first calls", lambda: bench_first(server.url, cfg, report)),
            ("many", "3/6 many users", lambda: bench_many(server.url, cfg, report)),
            ("requests", "4/6 requests", lambda: bench_requests(server.url, cfg, report)),
            ("gateway", "6/6 dev gateway", lambda: bench_gateway(server.url, cfg, report)),
            ("loading", "5/6 tool loading", lambda: bench_loading(servers[-1].url, cfg, report)),
        ]
        for key, title, step in steps:
            if key not in cfg.steps or (key == "gateway" and not cfg.gateway):
                continue
            if key == "loading" and not loading:
                continue
            t0 = time.perf_counter()
            await step()
            log(f"{title}: {time.perf_counter() - t0:.1f} s")
    report.seconds = time.perf_counter() - started
    return report


def main(argv: list[str] | None = None) -> Report:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="where to write")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--no-gateway", action="store_true", help="skip the dev gateway run")
    parser.add_argument(
        "--peer-python",
        default=os.environ.get("BENCH_PEER_PYTHON") or _peer_venv(),
        help="a Python with langchain-mcp-adapters (it needs mcp<2, so not this venv); "
        f"default: $BENCH_PEER_PYTHON, else {PEER_VENV}/bin/python if present",
    )
    parser.add_argument(
        "--only", help=f"comma-separated steps to run, of: {', '.join(STEPS)}", default=""
    )
    parser.add_argument(
        "--render",
        type=Path,
        metavar="JSON",
        help=f"do not measure: render a saved run again (each run is saved to {RESULTS})",
    )
    args = parser.parse_args(argv)
    cfg = Config.quick() if args.quick else Config()
    if args.only:
        unknown = set(args.only.split(",")) - set(STEPS)
        if unknown:
            parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
        cfg.steps = frozenset(args.only.split(","))
    cfg.peer_python = args.peer_python
    if args.no_gateway:
        cfg.gateway = False
    warnings.filterwarnings("ignore")
    if args.render:
        report = Report.from_json(json.loads(args.render.read_text()))
    else:
        report = asyncio.run(collect(cfg, log=lambda m: print(m, file=sys.stderr, flush=True)))
        given = argv if argv is not None else sys.argv[1:]
        report.command = (
            " ".join([".venv/bin/python benchmarks/run.py", *given]) if given else COMMAND
        )
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(report.to_json()))

    from _plot import plot
    from _readme import readme_block, update_readme
    from _report import markdown

    text = markdown(report, command=report.command or COMMAND)
    print(text)
    if not args.no_write:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "benchmarks.md").write_text(text)
        plot(report, args.out / "benchmarks.png")
        print(f"\nwrote {args.out / 'benchmarks.md'} and {args.out / 'benchmarks.png'}")
        full = not (report.config.gateway is False or set(STEPS) - report.config.steps)
        if args.out.resolve() == (ROOT / "docs").resolve() and full and report.config.users >= 200:
            block = readme_block(report, command=report.command or COMMAND)
            if update_readme(ROOT / "README.md", block):
                print("updated the benchmark table in README.md")
    return report


def peer_versions(python: str | None) -> str:
    """What the ``--peer-python`` interpreter runs (for the report)."""
    if not python:
        return ""
    code = (
        "import importlib.metadata as m, platform; print('Python', platform.python_version(), "
        "', '.join(n + ' ' + m.version(n) for n in ('langchain-mcp-adapters', "
        "'langchain-core', 'mcp')))"
    )
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else f"unusable: {done.stderr[-300:]}"


def _peer_venv() -> str | None:
    python = ROOT / PEER_VENV / "bin" / "python"
    return str(python) if python.exists() else None


if __name__ == "__main__":
    main()
