"""``mcp-gateway-tools demo``: scenarios A, B and C against an in-process dev gateway.

A. a LangChain agent with a service token; B. two users through the same LangChain
tools, one of whom must consent first (the link comes from the event, consent is
completed, the retry succeeds); C. a LlamaIndex agent on a virtual server mixing
shared and per-user credentials, waiting for consent mid-run.

Offline and deterministic by default (scripted models); with ``OPENAI_API_KEY`` set
and ``langchain-openai`` / ``llama-index-llms-openai`` installed, real models drive the
agents. The exit code is 0 only if every check passed.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from collections.abc import Iterable
from typing import TextIO

from ._report import Report

__all__ = ["run_demo", "run_web"]

SCENARIOS = ("A", "B", "C")
_NEEDS = ("langchain", "langgraph", "llama_index", "uvicorn", "starlette")
_WEB_NEEDS = ("langchain", "uvicorn", "starlette", "authlib", "langgraph.checkpoint.sqlite")


def _absent(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except ModuleNotFoundError:  # a parent package is missing
        return True


def _require_extras(extra: str = "all", needs: Iterable[str] = _NEEDS) -> None:
    missing = [m for m in needs if _absent(m)]
    if missing:
        raise RuntimeError(
            f"the demo needs the '{extra}' extra ({', '.join(missing)} missing): "
            f"pip install 'mcp-gateway-tools[{extra}]'"
        )


def run_web(
    *,
    scripted: bool = False,
    port: int = 8765,
    workers: int = 1,
    db: str | None = None,
    log_level: str = "warning",
) -> int:
    """``demo --web``: serve the two-user web demo until Ctrl-C (docs/webapp.md)."""
    _require_extras("webapp", _WEB_NEEDS)
    if workers < 1:
        raise RuntimeError("--workers must be at least 1")
    from ._models import langchain_model_name
    from .web import run_web_demo

    return run_web_demo(
        port=port, workers=workers, model=langchain_model_name(scripted), db=db,
        log_level=log_level,
    )  # fmt: skip


def run_demo(
    *,
    interactive: bool = False,
    scripted: bool = False,
    scenarios: Iterable[str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the demo; returns the exit code (0 only if every check passed)."""
    _require_extras()
    report = Report(out)
    chosen = [s for s in SCENARIOS if scenarios is None or s in set(scenarios)]
    return asyncio.run(_main(report, chosen, interactive=interactive, scripted=scripted))


async def _main(report: Report, chosen: list[str], *, interactive: bool, scripted: bool) -> int:
    from mcp_gateway_tools.devgateway import DevGateway

    from ._langchain import scenario_a, scenario_b
    from ._llamaindex import scenario_c
    from ._models import real_model_name

    real = real_model_name(scripted)
    report.title("mcp-gateway-tools demo")
    report.say(f"Models: {real} (OpenAI)" if real else "Models: scripted (offline, deterministic)")
    started = time.perf_counter()
    async with DevGateway() as dev:
        report.say(f"Dev gateway running in-process at {dev.base_url}")
        report.say("  users: alice, bob (personal access tokens); account: ci-bot (service)")
        if "A" in chosen:
            await scenario_a(dev, report, real)
        if "B" in chosen:
            await scenario_b(dev, report, real, interactive)
        if "C" in chosen:
            await scenario_c(dev, report, real, interactive)
    report.say(f"\nFinished in {time.perf_counter() - started:.1f} s")
    return report.summary()
