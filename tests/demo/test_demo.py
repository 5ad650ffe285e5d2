"""``mcp-gateway-tools demo``: runs offline, every claim checked, failures exit non-zero."""

from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mcp_gateway_tools.demo import _consent, run_demo
from mcp_gateway_tools.demo._report import Report
from mcp_gateway_tools.devgateway._consent_helper import run_consent
from tests.support.timing import scaled

ROOT = Path(__file__).resolve().parents[2]


def _offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "MCP_GATEWAY_"))}
    env["PYTHONWARNINGS"] = "error::ResourceWarning"
    return env


def test_demo_runs_offline_and_every_check_passes() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mcp_gateway_tools.cli", "demo"],
        capture_output=True,
        text=True,
        timeout=scaled(300),  # the whole demo; minutes on a busy 2-core machine
        env=_offline_env(),
        cwd=ROOT,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "Traceback" not in done.stderr
    assert "ResourceWarning" not in done.stderr
    assert "Exception ignored" not in done.stderr
    assert "Models: scripted (offline, deterministic)" in out
    for section in ("Scenario A", "Scenario B", "Scenario C"):
        assert f"--- {section}" in out
    assert "[FAIL]" not in out
    assert re.search(r"DEMO OK: all \d+ checks passed", out)
    # The link is shown as the app would show it: from the event, whole, on its own line.
    links = re.findall(r"^    (http://127\.0\.0\.1:\d+/consent/\S+)$", out, re.M)
    assert len(links) == 2  # Bob's Calendar (B), Alice's Mail (C)
    for line in (
        "[ok]   Bob's tool call returned the authorization observation",
        "[ok]   the app got the link from the event, as an absolute http(s) URL",
        "[ok]   the retry succeeded with Bob's own calendar",
        "[ok]   the waiting tool retried after consent and read Alice's own mailbox",
    ):
        assert line in out
    for token in ("dev-pat-alice", "dev-pat-bob", "dev-va-ci-bot"):
        assert token not in out


def test_interactive_waits_for_the_person_then_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--interactive: the demo waits for Enter; a 'browser' approves in between."""
    out = io.StringIO()
    prompts: list[str] = []

    def person_opens_the_link(prompt: str) -> None:
        prompts.append(prompt)
        link = re.findall(r"^    (http://\S+/consent/\S+)$", out.getvalue(), re.M)[-1]
        base = link.split("/consent/")[0]
        # What a browser does (the consent helper performs the same HTTP steps).
        asyncio.run(
            run_consent(url=f"{base}/mcp/calendar/server", token="dev-pat-bob", link=link,
                        approve=True, check=True)
        )  # fmt: skip

    monkeypatch.setattr(_consent, "_wait_for_enter", person_opens_the_link)
    code = run_demo(interactive=True, scripted=True, scenarios=["B"], out=out)
    text = out.getvalue()
    assert code == 0, text
    assert prompts == ["Press Enter when done... "]
    assert "Open this link in a browser on this machine, as bob" in text
    assert "[ok]   the retry succeeded with Bob's own calendar" in text


def test_a_step_that_does_not_happen_fails_the_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    """The person presses Enter without consenting: the demo says so and exits 1."""
    out = io.StringIO()
    monkeypatch.setattr(_consent, "_wait_for_enter", lambda prompt: None)
    code = run_demo(interactive=True, scripted=True, scenarios=["B"], out=out)
    text = out.getvalue()
    assert code == 1
    assert "No grant stored yet" in text
    assert "[FAIL] Bob's consent stored a grant at the gateway" in text
    assert "DEMO FAILED" in text


def test_report_exit_code_follows_the_checks() -> None:
    report = Report(io.StringIO())
    report.check(True, "fine")
    assert report.summary() == 0
    report.check(False, "broken", "why")
    assert report.summary() == 1
