"""Run the official MCP conformance suite's client scenarios against a client command.

The suite (``@modelcontextprotocol/conformance``, npm, pinned in :data:`VERSION`)
starts a scenario server, runs the client command with the server's URL as its last
argument (scenario name in ``MCP_CONFORMANCE_SCENARIO``), then judges what the client
did and writes ``checks.json``. Every check has a ``status``: SUCCESS, FAILURE,
WARNING or INFO.

Two facts of this machine shape how it is run:

- The CLI imports ``fs.globSync`` (Node 22+) at load time although only its
  ``tier-check`` command calls it; ``node/register.mjs`` resolves ``fs`` to a shim
  that adds a stub on older Node (no patching of the installed package).
- Its scenario servers listen on all interfaces, so node and the client both run in
  a network namespace that has only loopback (:mod:`tests.support.netns`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.netns import loopback_only
from tests.support.npm import installed_package, node_binary

PACKAGE = "@modelcontextprotocol/conformance"
VERSION = "0.1.16"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DRIVER = HERE / "driver.py"

CORE_SCENARIOS = (
    "initialize",
    "tools_call",
    "elicitation-sep1034-client-defaults",
    "sse-retry",
)
"""Every non-auth client scenario of the pinned version (its ``list`` is checked)."""

AUTH_SCENARIOS = (
    "auth/metadata-default",
    "auth/metadata-var1",
    "auth/metadata-var2",
    "auth/metadata-var3",
    "auth/basic-cimd",
    "auth/scope-from-www-authenticate",
    "auth/scope-from-scopes-supported",
    "auth/scope-omitted-when-undefined",
    "auth/scope-step-up",
    "auth/scope-retry-limit",
    "auth/token-endpoint-auth-basic",
    "auth/token-endpoint-auth-post",
    "auth/token-endpoint-auth-none",
    "auth/pre-registration",
    "auth/2025-03-26-oauth-metadata-backcompat",
    "auth/2025-03-26-oauth-endpoint-fallback",
    "auth/resource-mismatch",
    "auth/offline-access-scope",
    "auth/offline-access-not-supported",
    "auth/client-credentials-jwt",
    "auth/client-credentials-basic",
    "auth/cross-app-access-complete-flow",
)
"""Every auth client scenario of the pinned version (its ``list`` is checked)."""

WITHOUT_A_USER = (
    "auth/client-credentials-jwt",
    "auth/client-credentials-basic",
    "auth/cross-app-access-complete-flow",
)
"""Grants with no user (client credentials; SEP-990 token exchange): app-run OAuth is
per app user by design, so these end in a typed error (docs/oauth.md)."""

FASTMCP_DRIVER = HERE / "fastmcp_driver.py"


@dataclass
class ScenarioRun:
    """One scenario's verdict: its checks and what the client printed."""

    scenario: str
    checks: list[dict[str, Any]]
    returncode: int
    output: str
    client_stderr: str = ""
    client_stdout: str = ""
    failures: list[dict[str, Any]] = field(init=False)
    late: list[dict[str, Any]] = field(init=False)
    """Timing checks failed only for being late: a busy machine, not the client."""

    def __post_init__(self) -> None:
        failed = [c for c in self.checks if c.get("status") == "FAILURE"]
        self.late = [c for c in failed if _only_late(c)]
        self.failures = [c for c in failed if not _only_late(c)]

    def __repr__(self) -> str:  # the assertion message is explain(); keep pytest's line short
        return f"ScenarioRun({self.scenario!r}, passed={self.passed}, exit={self.returncode})"

    @property
    def successes(self) -> int:
        return sum(1 for c in self.checks if c.get("status") == "SUCCESS")

    @property
    def passed(self) -> bool:
        """The suite's own rule (its tier-check): no FAILURE and at least one SUCCESS."""
        return not self.failures and self.successes > 0

    def explain(self) -> str:
        """Why it failed, for the assertion message: failed checks, then client output."""
        lines = [f"scenario {self.scenario}: {len(self.failures)} failed check(s)"]
        for check in self.failures:
            lines.append(f"  - {check.get('id')}: {check.get('errorMessage') or check}")
        for check in self.late:
            lines.append(f"  (late, not failed) {check.get('id')}: {check.get('errorMessage')}")
        if not self.checks:
            lines.append(f"  no checks.json; conformance CLI said:\n{self.output[-3000:]}")
        if self.client_stderr.strip():
            lines.append(f"  client stderr:\n{self.client_stderr[-3000:]}")
        return "\n".join(lines)


def _only_late(check: dict[str, Any]) -> bool:
    """sse-retry fails a reconnect later than twice the server's ``retry`` (1 s).

    Being early proves the client ignored ``retry``; being late on a shared 2-core
    machine proves only that the machine was busy, so lateness is reported, not failed
    (the suite must not depend on wall-clock margins).
    """
    details = check.get("details") or {}
    return (
        check.get("id") == "client-sse-retry-timing"
        and details.get("tooEarly") is False
        and details.get("veryLate") is True
    )


def cli() -> list[str]:
    """The command that starts the pinned conformance CLI on this machine's Node."""
    package = installed_package(PACKAGE, VERSION, cache_name="conformance")
    return [
        node_binary(),
        "--import",
        (HERE / "node" / "register.mjs").as_uri(),
        str(package / "dist" / "index.js"),
    ]


def client_command(*extra: str, driver: Path = DRIVER) -> str:
    """The client command line: a driver under this interpreter (no spaces allowed:
    the CLI splits the command on spaces)."""
    parts = [sys.executable, str(driver), *extra]
    if any(" " in part for part in parts):
        raise RuntimeError(f"the conformance CLI splits its --command on spaces: {parts}")
    return " ".join(parts)


def listed_client_scenarios() -> list[str]:
    """The client scenarios the installed version lists."""
    done = subprocess.run(
        [*cli(), "list", "--client"], capture_output=True, text=True, timeout=60, check=True
    )
    return [
        line.strip()[2:].split(" ", 1)[0]
        for line in done.stdout.splitlines()
        if line.strip().startswith("- ")
    ]


def driver_env() -> dict[str, str]:
    """The environment the CLI passes on to the driver: this checkout's sources first."""
    env = dict(os.environ)
    paths = [str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return env


def start_scenario(
    scenario: str, results: Path, *, command: str | None = None
) -> subprocess.Popen[str]:
    """Start one client scenario (or ``--suite`` when ``scenario`` is ``suite:<name>``).

    Several may run at once: each has its own scenario server on its own port.
    """
    results.mkdir(parents=True, exist_ok=True)
    selector = (
        ["--suite", scenario.removeprefix("suite:")]
        if scenario.startswith("suite:")
        else ["--scenario", scenario]
    )
    argv = [
        *cli(),
        "client",
        "--command",
        command or client_command(),
        *selector,
        "--timeout",
        "120000",
        "-o",
        str(results),
    ]
    return subprocess.Popen(
        loopback_only(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=driver_env(),
    )


def finish_scenario(
    scenario: str, results: Path, process: subprocess.Popen[str], *, timeout: float = 600
) -> ScenarioRun:
    """Wait for a started scenario and read its verdict."""
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        output += f"\n[killed after {timeout} s]"
    return collect(scenario, results, process.returncode, output)


def run_scenario(scenario: str, results: Path, *, command: str | None = None) -> ScenarioRun:
    """Run one scenario to its end."""
    process = start_scenario(scenario, results, command=command)
    return finish_scenario(scenario, results, process)


def run_many(
    scenarios: tuple[str, ...] | list[str],
    results: Path,
    *,
    command: str | None = None,
    at_once: int = 4,
) -> dict[str, ScenarioRun]:
    """Run ``scenarios``, ``at_once`` at a time (each has its own server and port)."""
    runs: dict[str, ScenarioRun] = {}
    pending = list(scenarios)
    while pending:
        batch, pending = pending[:at_once], pending[at_once:]
        started = {
            s: start_scenario(s, results / s.replace("/", "_"), command=command) for s in batch
        }
        for scenario, process in started.items():
            runs[scenario] = finish_scenario(
                scenario, results / scenario.replace("/", "_"), process
            )
    return runs


def collect(scenario: str, results: Path, returncode: int, output: str) -> ScenarioRun:
    """Read every ``checks.json`` under ``results`` (one per scenario the CLI ran)."""
    checks: list[dict[str, Any]] = []
    stderr = stdout = ""
    for path in sorted(results.rglob("checks.json")):
        for check in json.loads(path.read_text()):
            check.setdefault("scenario", str(path.parent.relative_to(results)))
            checks.append(check)
        stderr += _read(path.parent / "stderr.txt")
        stdout += _read(path.parent / "stdout.txt")
    return ScenarioRun(scenario, checks, returncode, output, stderr, stdout)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
