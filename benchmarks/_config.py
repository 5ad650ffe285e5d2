"""What a benchmark run is asked to do (Config) and what it found (Report)."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Samples

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COMMAND = "make bench"
"""As written in the report; it runs ``.venv/bin/python benchmarks/run.py``."""

WARM = [
    "ours-langchain",
    "ours-llamaindex",
    "raw-fastmcp",
    "raw-httpx2",
    "langchain.mcp",
    "langchain.mcp-held",
    "langchain-mcp-adapters",
    "llama-index-tools-mcp",
]
FIRST = [
    "ours-langchain",
    "ours-llamaindex",
    "raw-fastmcp",
    "raw-httpx2",
    "langchain.mcp",
    "langchain-mcp-adapters",
    "llama-index-tools-mcp",
]
MANY = [
    "ours-langchain",
    "ours-langchain-32",
    "ours-llamaindex",
    "raw-fastmcp",
    "langchain.mcp",
    "langchain-mcp-adapters",
    "llama-index-tools-mcp",
]
REQUESTS = WARM
REMOTE = frozenset({"langchain-mcp-adapters"})
"""Peers that cannot be imported next to mcp 2: run in ``--peer-python`` when given."""
PEER_VENV = ".venv/peers"
STEPS = ("warm", "first", "many", "requests", "gateway", "loading")
LOADING = ["ours-langchain", "ours-llamaindex", "langchain.mcp", "llama-index-tools-mcp"]


@dataclass
class Config:
    warm_rounds: int = 24
    warm_per_round: int = 5
    """Short runs per contender, many rounds: load from elsewhere spreads evenly over them
    (one call per round would also make every call start with cold CPU caches)."""
    first_rounds: int = 6
    first_per_round: int = 4
    users: int = 200
    calls: int = 10
    concurrency: int = 20
    budget: float = 12.0
    """Seconds of many-users work per contender, over all its rounds."""
    many_rounds: int = 2
    request_calls: int = 20
    load_servers: int = 5
    load_tools: int = 50
    load_rounds: int = 4
    gateway: bool = True
    in_process: bool = False
    """Run the many-users step in this process (smoke test) instead of one per contender."""
    warm: list[str] = field(default_factory=lambda: list(WARM))
    first: list[str] = field(default_factory=lambda: list(FIRST))
    many: list[str] = field(default_factory=lambda: list(MANY))
    requests: list[str] = field(default_factory=lambda: list(REQUESTS))
    loading: bool = True
    peer_python: str | None = None
    """An interpreter with langchain-mcp-adapters (it needs mcp<2), for the REMOTE peers."""
    steps: frozenset[str] = frozenset(STEPS)

    @classmethod
    def quick(cls) -> Config:
        """Tiny sizes: every step runs, in a few seconds."""
        return cls(
            warm_rounds=2,
            warm_per_round=1,
            first_rounds=1,
            first_per_round=1,
            users=4,
            calls=2,
            concurrency=2,
            budget=2.0,
            many_rounds=2,
            request_calls=2,
            load_servers=2,
            load_tools=3,
            load_rounds=1,
            gateway=False,
        )


@dataclass
class Report:
    config: Config
    warm: dict[str, Samples] = field(default_factory=dict)
    first: dict[str, Samples] = field(default_factory=dict)
    many: list[dict[str, Any]] = field(default_factory=list)
    requests: dict[str, dict[str, float]] = field(default_factory=dict)
    loading: dict[str, Samples] = field(default_factory=dict)
    gateway: dict[str, Samples] = field(default_factory=dict)
    gateway_requests: dict[str, dict[str, float]] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    peer_versions: str = ""
    seconds: float = 0.0
    run_at: str = ""
    machine: str = ""
    command: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["config"]["steps"] = sorted(self.config.steps)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        """A saved run (benchmarks/results/latest.json), to render it again."""
        config = dict(data.pop("config"))
        config["steps"] = frozenset(config["steps"])
        report = cls(Config(**config), **{k: v for k, v in data.items() if k not in SAMPLED})
        for key in SAMPLED:
            setattr(report, key, {n: Samples(**s) for n, s in data[key].items()})
        return report


SAMPLED = ("warm", "first", "loading", "gateway")
RESULTS = ROOT / "benchmarks" / "results" / "latest.json"


# -- shared steps ------------------------------------------------------------------------
