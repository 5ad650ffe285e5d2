"""The benchmark harness, run with minimal sizes so that it cannot rot.

This checks that every step runs and that the report, the plots and the README block
are written from the run's data, never any figure: the numbers mean nothing at these
sizes. (Speed claims live in docs/benchmarks.md, measured by ``python -m benchmarks``.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from benchmarks.__main__ import collect, main
from benchmarks.child import Child, Remote
from benchmarks.data import ROOT, Config, Report
from benchmarks.harness import running_servers

from benchmarks import figures, targets
from benchmarks import report as render

OURS = ["ours-langchain", "ours-llamaindex"]


@pytest.fixture
def quick() -> Config:
    cfg = Config.quick()
    cfg.in_process = True  # no process per contender: seconds, not minutes
    cfg.distance = [*OURS, "fastmcp-reused", "fastmcp-fresh", "langchain.mcp"]
    cfg.thin = ["thin-langchain"]
    cfg.loopback_only = ["raw-httpx2"]
    cfg.first = [*OURS, "fastmcp-fresh", "langchain.mcp"]
    cfg.turn = [*OURS, "fastmcp-reused", "thin-langchain"]
    cfg.many = ["ours-langchain", "fastmcp-reused"]
    cfg.identity_count, cfg.identity_calls = 12, 30
    return cfg


@pytest.mark.timeout(600)
async def test_every_step_runs_and_the_report_is_generated_from_its_data(
    quick: Config, tmp_path: Path
) -> None:
    report = await collect(quick, log=lambda _: None)

    for measure in ("first", "warm", "turn"):
        for rtt in quick.round_trips_ms:
            assert all(s.seconds for s in report.tables[f"{measure}@{rtt:g}"].values())
    assert set(report.tables["warm@0"]) == {*quick.distance, *quick.thin, "raw-httpx2"}
    # counted at the server, exact at any size: ours send one request per warm call
    for key in OURS:
        assert report.counts[key]["warm"] == {"tools/call": 1.0}
        assert report.counts[key]["first"]["tools/call"] == 1.0
    assert sum(report.counts["langchain.mcp"]["warm"].values()) > 1
    assert {"ours-langchain", "fastmcp-reused"} <= set(report.many)
    assert all(row["errors"] == 0 for row in report.many.values())
    ours = report.identities["ours-langchain"]
    assert ours["identities_seen"] == 12
    assert ours["errors"] == 0
    assert ours["series"]
    assert report.profile["ours-langchain"]["groups"]["ours"] > 0
    assert len(report.tables["loading"]) == 6

    text = render.markdown(report)
    # a saved run renders to the same report
    saved = Report.from_json(json.loads(json.dumps(report.to_json())))
    assert render.markdown(saved) == text
    for heading in ("## Targets", "### loopback", "### 10 ms round trip", "## 2.", "## 7."):
        assert heading in text
    claims = {target.claim: met for target, _, met in targets.verdicts(report)}
    assert claims["warm call = 1 round trip (LangChain)"] is True

    readme = tmp_path / "README.md"
    readme.write_text("# x\n<!-- bench:start -->\nOLD\n<!-- bench:end -->\ntail\n")
    assert figures.update_readme(readme, figures.readme_block(report))
    updated = readme.read_text()
    assert "OLD" not in updated
    assert "| warm tool call |" in updated
    assert updated.endswith("<!-- bench:end -->\ntail\n")

    written = figures.plots(report, tmp_path)
    assert {p.name for p in written} >= {"benchmarks-loopback.png", "benchmarks-10ms.png",
                                         "benchmarks-identities.png"}  # fmt: skip
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in written)


def test_command_line_rejects_unknown_steps(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--only", "distance,nonsense"])
    assert "nonsense" in capsys.readouterr().err


@pytest.mark.timeout(300)
async def test_a_contender_in_another_interpreter_serves_calls_at_once() -> None:
    """How langchain-mcp-adapters (mcp<2) is driven: any contender works the same way."""
    import asyncio

    with running_servers(0) as (url,):
        remote = Remote(url, Child("fastmcp-reused", sys.executable, str(ROOT)))
        await remote.start()
        try:
            user = await remote.user("remote-user")
            texts = await asyncio.gather(*(user.call() for _ in range(3)))
            assert all("bench" in str(text) for text in texts)
            assert "bench" in await user.tools[0].ainvoke({"text": "bench"})
            await user.aclose()
        finally:
            await remote.aclose()
