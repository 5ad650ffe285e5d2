"""A bounded soak: concurrent users for ~30 s with random gateway faults injected.

The identity gateway (child process, loopback) fails 10 % of ``tools/call`` requests at
random: 429, 500, 502 HTML, 503, consent 401, -32042, a connection reset mid-response,
or an answer slower than the call timeout. Every call is answered exactly once (a
result with the caller's own identity and nonce, an authorization observation, or a
typed error); the figures (calls, errors by type, p50/p99 latency, max RSS) are
printed, and written as JSON to the path in ``RELIABILITY_REPORT`` when it is set
(docs/reliability.md quotes a run).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import time
from collections import Counter
from pathlib import Path

import psutil
import pytest

from mcp_gateway_tools import Gateway
from tests.reliability.child import identity_process
from tests.reliability.test_isolation import Planned, build_side, perform
from tests.support.timing import scaled

SECONDS = float(os.environ.get("RELIABILITY_SOAK_SECONDS", "30"))
USERS = 50
WORKERS = 24
FAULT_RATE = 0.10
PATHS = {"core": 50, "lc_tool": 24, "li_tool": 24, "lc_agent": 1, "li_agent": 1}
EXPECTED = {
    "ok",
    "auth",
    "RateLimited",
    "GatewayUnavailable",
    "GatewayTimeout",
    "CallOutcomeUnknown",
}
# A LangChain error ToolMessage carries the core error's message, not its class.
MESSAGES = {
    "The gateway is rate limiting": "RateLimited",
    "The gateway could not serve": "GatewayUnavailable",
    "The gateway did not answer": "GatewayTimeout",
    "The gateway timed out": "GatewayTimeout",
    "The session with": "CallOutcomeUnknown",
}


def outcome_type(kind: str) -> str:
    if not kind.startswith("error:"):
        return kind
    detail = kind.removeprefix("error:")
    for prefix, name in MESSAGES.items():
        if detail.startswith(prefix):
            return name
    return detail


def write_report(figures: dict[str, object]) -> None:
    if os.environ.get("RELIABILITY_REPORT"):
        Path(os.environ["RELIABILITY_REPORT"]).write_text(json.dumps(figures, indent=1))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@pytest.mark.slow
@pytest.mark.timeout(SECONDS + 120)
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_soak_with_random_faults_answers_every_call_exactly_once() -> None:
    with identity_process(USERS) as server:
        users = list(server.users.items())
        issued: list[int] = []
        answered: Counter[int] = Counter()
        kinds: Counter[str] = Counter()
        wrong: list[tuple[Planned, object]] = []
        latencies: list[float] = []
        ok_latencies: list[float] = []
        rss_peak = 0
        process = psutil.Process()
        async with Gateway(
            server.url, call_timeout=scaled(1.0), connect_timeout=scaled(5.0)
        ) as gateway:
            side = await build_side(gateway, users[0][1])
            server.control("faults", rate=FAULT_RATE)
            deadline = time.monotonic() + SECONDS
            counter = iter(range(10**9))

            async def worker(seed: int) -> None:
                rng = random.Random(seed)
                paths, weights = zip(*PATHS.items(), strict=True)
                while time.monotonic() < deadline:
                    index = next(counter)
                    user, token = rng.choice(users)
                    call = Planned(index, user, "echo", rng.choices(paths, weights)[0], False)
                    issued.append(index)
                    started = time.perf_counter()
                    seen = await perform(side, call, token)
                    latencies.append(time.perf_counter() - started)
                    if seen.kind == "ok":
                        ok_latencies.append(latencies[-1])
                    answered[index] += 1
                    kinds[outcome_type(seen.kind)] += 1
                    if seen.kind == "ok" and (seen.user, seen.nonce) != (user, f"n{index}"):
                        wrong.append((call, seen))

            async def sample_rss() -> None:
                nonlocal rss_peak
                while time.monotonic() < deadline:
                    rss_peak = max(rss_peak, process.memory_info().rss)
                    await asyncio.sleep(0.5)

            started = time.monotonic()
            await asyncio.gather(sample_rss(), *(worker(s) for s in range(WORKERS)))
            elapsed = time.monotonic() - started
            server.control("faults", rate=0)

    figures = {
        "seconds": round(elapsed, 1),
        "users": USERS,
        "concurrency": WORKERS,
        "fault_rate": FAULT_RATE,
        "calls": len(issued),
        "calls_per_second": round(len(issued) / elapsed, 1),
        "outcomes": dict(kinds.most_common()),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "p99_ok_ms": round(percentile(ok_latencies, 0.99) * 1000, 1),
        "max_rss_mb_sampled": round(rss_peak / 2**20, 1),
        "max_rss_mb_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "wrong_identity": len(wrong),
        "lost": len(set(issued) - set(answered)),
        "answered_twice": sum(1 for n in answered.values() if n > 1),
    }
    print("\nsoak:", json.dumps(figures, indent=1))
    write_report(figures)
    assert figures["lost"] == 0
    assert figures["answered_twice"] == 0
    assert len(answered) == len(issued)
    assert wrong == []
    assert set(kinds) <= EXPECTED, kinds
    assert kinds["ok"] > 0.8 * len(issued)
    assert sum(v for k, v in kinds.items() if k != "ok") > 0  # faults really happened
