"""Two workers that both see a consent complete: exactly one of them resumes the run."""

from __future__ import annotations

import asyncio
from pathlib import Path

from mcp_gateway_tools.demo.web._claims import ResumeClaims


async def test_only_one_worker_wins_the_claim_on_a_pause(tmp_path: Path) -> None:
    db = str(tmp_path / "runs.sqlite3")
    workers = [ResumeClaims(db, str(n)) for n in range(1, 5)]
    won = await asyncio.gather(*(w.claim("checkpoint-1", "interrupt-a") for w in workers))
    assert sorted(won) == [False, False, False, True]
    # A later pause (a new checkpoint) of the same interrupt id is a new claim.
    assert await workers[0].claim("checkpoint-2", "interrupt-a")
    assert not await workers[1].claim("checkpoint-2", "interrupt-a")
