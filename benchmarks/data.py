"""What a run is asked to do (:class:`Config`) and what it found (:class:`Report`)."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "latest.json"
COMMAND = "make bench"
"""As written in the report; it runs ``.venv/bin/python -m benchmarks``."""

DISTANCE = [
    "ours-langchain",
    "ours-llamaindex",
    "fastmcp-fresh",
    "fastmcp-reused",
    "fastmcp-stateless",
    "langchain.mcp",
    "langchain-mcp-adapters",
    "llama-index-tools-mcp",
]
THIN = ["thin-langchain", "thin-llamaindex"]
"""The thinnest tool each framework allows over a reused Client: an agent turn's floor."""
LOOPBACK_ONLY = ["raw-httpx2", "langchain.mcp-held"]
FIRST = [k for k in DISTANCE + LOOPBACK_ONLY if k != "fastmcp-reused"]
TURN = DISTANCE + THIN
MANY = [
    "ours-langchain",
    "ours-langchain-32",
    "ours-llamaindex",
    "fastmcp-reused",
    "langchain.mcp",
    "langchain-mcp-adapters",
    "llama-index-tools-mcp",
]


@dataclass
class Samples:
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    """This process's CPU seconds per sample: what other load on the machine moves least."""

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000 if self.seconds else 0.0

    @property
    def p90_ms(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))] * 1000 if ordered else 0.0

    @property
    def cpu_ms(self) -> float:
        return statistics.median(self.cpu) * 1000 if self.cpu else 0.0


@dataclass
class Config:
    round_trips_ms: list[float] = field(default_factory=lambda: [0.0, 10.0, 50.0, 100.0])
    loopback: dict[str, tuple[int, int]] = field(
        default_factory=lambda: {"first": (3, 2), "warm": (8, 3), "turn": (3, 1)}
    )
    """(rounds, per round) of each measure on loopback."""
    distant: dict[str, tuple[int, int]] = field(
        default_factory=lambda: {"first": (3, 1), "warm": (2, 2), "turn": (3, 1)}
    )
    """The same at a distance, where every sample costs round trips of waiting."""
    distance: list[str] = field(default_factory=lambda: list(DISTANCE))
    thin: list[str] = field(default_factory=lambda: list(THIN))
    loopback_only: list[str] = field(default_factory=lambda: list(LOOPBACK_ONLY))
    first: list[str] = field(default_factory=lambda: list(FIRST))
    turn: list[str] = field(default_factory=lambda: list(TURN))
    counted_calls: int = 10
    overhead: tuple[int, int] = (20, 10)
    many: list[str] = field(default_factory=lambda: list(MANY))
    users: int = 200
    calls: int = 10
    concurrency: int = 20
    budget: float = 8.0
    many_rounds: int = 2
    identity_budgets: dict[str, float] = field(
        default_factory=lambda: {"ours-langchain": 120.0, "fastmcp-reused": 45.0}
    )
    """Seconds each contender may take for the identities; a Client per user is given
    less: its growth shows long before it reaches 10,000."""
    identity_count: int = 10_000
    identity_calls: int = 15_000
    identity_zipf: float = 1.1
    identity_rotate_every: int = 20
    identity_concurrency: int = 32
    load_servers: int = 5
    load_tools: int = 50
    load_rounds: int = 4
    peer_python: str | None = None
    """An interpreter with langchain-mcp-adapters (it needs mcp<2), for the remote peers."""
    in_process: bool = False
    """Run the load steps in this process (smoke test) instead of one per contender."""
    steps: list[str] = field(default_factory=list)
    """Steps to run (all when empty)."""

    def contenders_at(self, rtt: float) -> list[str]:
        return self.distance + self.thin + (self.loopback_only if rtt == 0 else [])

    def sizes(self, rtt: float) -> dict[str, tuple[int, int]]:
        return self.loopback if rtt == 0 else self.distant

    def identity_args(self, key: str) -> dict[str, Any]:
        return {
            "identities": self.identity_count,
            "calls": self.identity_calls,
            "zipf": self.identity_zipf,
            "rotate_every": self.identity_rotate_every,
            "concurrency": self.identity_concurrency,
            "budget": self.identity_budgets[key],
        }

    @classmethod
    def quick(cls) -> Config:
        """Tiny sizes: every step runs, in seconds (the smoke test's)."""
        one = {"first": (1, 1), "warm": (2, 1), "turn": (1, 1)}
        return cls(
            round_trips_ms=[0.0, 10.0], loopback=one, distant=one, counted_calls=2,
            overhead=(2, 2), users=4, calls=2, concurrency=2, budget=2.0,
            identity_count=30, identity_calls=60, identity_concurrency=4,
            identity_budgets={"ours-langchain": 5.0, "fastmcp-reused": 5.0},
            load_servers=2, load_tools=3, load_rounds=1,
        )  # fmt: skip


@dataclass
class Report:
    config: Config
    tables: dict[str, dict[str, Samples]] = field(default_factory=dict)
    """Timed samples per table (e.g. ``warm@50``: warm calls at 50 ms), per contender."""
    counts: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    """Per contender, per measure: requests per JSON-RPC/HTTP method and new connections."""
    many: dict[str, dict[str, Any]] = field(default_factory=dict)
    identities: dict[str, dict[str, Any]] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)
    """Per contender: CPU per call by package, and our own most costly functions."""
    unavailable: dict[str, str] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    """Machine, time, load average, versions, command."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        """A saved run (benchmarks/results/latest.json), to render it again."""
        config = Config(**{f.name: data["config"][f.name] for f in fields(Config)})
        tables = {
            table: {key: Samples(**s) for key, s in rows.items()}
            for table, rows in data["tables"].items()
        }
        rest = {k: v for k, v in data.items() if k not in ("config", "tables")}
        return cls(config, tables, **rest)
