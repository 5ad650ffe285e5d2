"""``python -m benchmarks``: measure, then write docs/benchmarks.md, its plots and the
README's benchmark block (see benchmarks/__init__.py for what is measured)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from . import figures
from . import report as render
from .contenders import PEER_VENV
from .data import COMMAND, RESULTS, ROOT, Config, Report
from .harness import running_servers
from .steps import STEPS


async def collect(cfg: Config, log: Callable[[str], None] = print) -> Report:
    report = Report(cfg, meta=figures.meta(cfg.peer_python))
    began = time.perf_counter()
    chosen = [s for s in STEPS if not cfg.steps or s in cfg.steps]
    with running_servers(0, cfg.load_tools - 1) as (url, loading_url):
        for n, step in enumerate(chosen, 1):
            t0 = time.perf_counter()
            await STEPS[step](loading_url if step == "loading" else url, report)
            log(f"{n}/{len(chosen)} {step}: {time.perf_counter() - t0:.1f} s")
    report.meta["seconds"] = f"{time.perf_counter() - began:.0f}"
    report.meta["load_after"] = figures.load_average()
    return report


def main(argv: list[str] | None = None) -> Report:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (seconds)")
    parser.add_argument("--only", default="", help=f"comma-separated steps of: {', '.join(STEPS)}")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="where to write")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--render", type=Path, metavar="JSON", help="render a saved run again")
    parser.add_argument(
        "--peer-python",
        default=os.environ.get("BENCH_PEER_PYTHON") or _peer_venv(),
        help="a Python with langchain-mcp-adapters (it needs mcp<2, so not this venv); "
        f"default: $BENCH_PEER_PYTHON, else {PEER_VENV}/bin/python if present",
    )
    args = parser.parse_args(argv)
    cfg = Config.quick() if args.quick else Config()
    cfg.steps = [s for s in args.only.split(",") if s]
    if unknown := set(cfg.steps) - set(STEPS):
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
    cfg.peer_python = args.peer_python
    warnings.filterwarnings("ignore")
    if args.render:
        report = Report.from_json(json.loads(args.render.read_text()))
    else:
        report = asyncio.run(collect(cfg, log=lambda m: print(m, file=sys.stderr, flush=True)))
        given = argv if argv is not None else sys.argv[1:]
        report.meta["command"] = (
            " ".join([".venv/bin/python -m benchmarks", *given]) if given else COMMAND
        )
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(report.to_json()))
    text = render.markdown(report)
    print(text)
    if not args.no_write:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "benchmarks.md").write_text(text)
        for path in figures.plots(report, args.out):
            print(f"wrote {path}")
        full = not report.config.steps and report.config.users >= 200
        to_docs = args.out.resolve() == (ROOT / "docs").resolve()
        if (
            to_docs
            and full
            and figures.update_readme(ROOT / "README.md", figures.readme_block(report))
        ):
            print("updated the benchmark block in README.md")
    return report


def _peer_venv() -> str | None:
    python = Path(PEER_VENV).expanduser() / "bin" / "python"
    if python.exists():
        done = subprocess.run([str(python), "-c", "import langchain_mcp_adapters"], check=False)
        return str(python) if done.returncode == 0 else None
    return None


if __name__ == "__main__":
    main()
