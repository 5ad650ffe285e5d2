"""Every timeout a test waits with comes from here, scaled for slow machines.

A timeout in a test is a bound on "this finishes", never a measurement: on a busy
2-core machine (CI, or eight processes at once) the same step can take ten times as
long. ``MCP_GATEWAY_TOOLS_TEST_TIME_FACTOR`` multiplies every such bound (default 1,
or 3 when ``CI`` is set). Speed claims belong in benchmarks, not here.
"""

from __future__ import annotations

import os

__all__ = ["FACTOR", "scaled"]


def _factor() -> float:
    raw = os.environ.get("MCP_GATEWAY_TOOLS_TEST_TIME_FACTOR", "").strip()
    if raw:
        value = float(raw)
        if value <= 0:
            raise ValueError("MCP_GATEWAY_TOOLS_TEST_TIME_FACTOR must be positive")
        return value
    return 3.0 if os.environ.get("CI") else 1.0


FACTOR = _factor()


def scaled(seconds: float) -> float:
    """``seconds`` times the machine's time factor: a generous bound, not a target."""
    return seconds * FACTOR
