"""The benchmark machinery, run with minimal sizes so that it cannot rot.

This checks that every step runs and the report and the plot get written, not any
figure: the numbers mean nothing at these sizes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import run  # noqa: E402  (benchmarks/run.py, not a package)
from _plot import plot  # noqa: E402
from _readme import readme_block, update_readme  # noqa: E402
from _report import markdown, targets  # noqa: E402


@pytest.fixture
def quick() -> run.Config:
    cfg = run.Config.quick()
    cfg.in_process = True  # no process per contender: seconds, not minutes
    cfg.warm = ["ours-langchain", "ours-llamaindex", "raw-fastmcp", "raw-httpx2", "langchain.mcp"]
    cfg.first = ["ours-langchain", "raw-fastmcp", "llama-index-tools-mcp"]
    cfg.many = ["ours-langchain", "raw-fastmcp", "langchain-mcp-adapters"]
    cfg.requests = ["ours-langchain", "ours-llamaindex", "langchain.mcp"]
    return cfg


async def test_every_step_runs_and_the_report_is_written(quick: run.Config, tmp_path: Path) -> None:
    report = await run.collect(quick, log=lambda _: None)

    assert len(report.warm) == 5
    assert all(s.seconds for s in report.warm.values())
    assert len(report.first) == 3
    # ours and raw ran; langchain-mcp-adapters either ran or says why it cannot here
    names = {row["name"] for row in report.many}
    assert {"ours: LangChain GatewayTool", "raw fastmcp Client (one per user)"} <= names
    assert len(names) + len(report.unavailable) == 3
    assert all(row["calls"] > 0 and row["errors"] == 0 for row in report.many)
    # the steady-state count is exact even at this size: ours send one POST per call
    assert report.requests["ours: LangChain GatewayTool"] == {"tools/call": 1.0}
    assert report.requests["ours: LlamaIndex GatewayTool"] == {"tools/call": 1.0}
    assert sum(report.requests["langchain.mcp (session per call)"].values()) > 1
    assert len(report.loading) == 6

    text = markdown(report, command="test")
    # a saved run renders to the same report
    saved = run.Report.from_json(json.loads(json.dumps(report.to_json())))
    assert markdown(saved, command="test") == text
    for heading in ("## Targets", "## 1.", "## 2.", "## 3.", "## 4.", "## 5."):
        assert heading in text
    assert "| ours: LangChain GatewayTool |" in text
    verdicts = targets(report)
    assert any("1 HTTP request" in target and met for target, _, met, _ in verdicts)

    readme = tmp_path / "README.md"
    readme.write_text("# x\n<!-- bench:start -->\nOLD-CONTENT\n<!-- bench:end -->\ntail\n")
    assert update_readme(readme, readme_block(report, command="make bench"))
    updated = readme.read_text()
    assert "OLD-CONTENT" not in updated
    assert updated.startswith("# x\n<!-- bench:start -->\n| measurement |")
    assert updated.endswith("<!-- bench:end -->\ntail\n")

    png = tmp_path / "bench.png"
    plot(report, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_command_line_rejects_unknown_steps(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run.main(["--only", "warm,nonsense"])
    assert "nonsense" in capsys.readouterr().err


async def test_a_contender_in_another_interpreter() -> None:
    """How langchain-mcp-adapters (mcp<2) is driven: any contender works the same way."""
    from _harness import running_server
    from _remote import RemoteContender

    with running_server() as server:
        remote = RemoteContender("raw-fastmcp", sys.executable)
        await remote.start(server.url)
        try:
            user = await remote.user("remote-user")
            assert "bench" in str(await user.call())
            await user.aclose()
        finally:
            await remote.aclose()
