"""The official MCP conformance suite's client scenarios, with the library as the client.

``driver.py`` is the client: an app's use of the public API (``Gateway(servers=...)``,
``list_tools``, ``call_tool``, a form-input callback accepting the SEP-1034 defaults;
for the ``auth/*`` scenarios, the app as its user's OAuth client, the browser played).
The suite's scenario servers run, with node and the driver, in a network namespace
that has only loopback. Nothing here is skipped: without npm, Node or the namespace the
tests fail and say why.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conformance import suite
from tests.support.netns import interfaces_inside

pytestmark = [pytest.mark.conformance, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def core_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, suite.ScenarioRun]]:
    """Every non-auth client scenario, started together and judged by the suite."""
    root = tmp_path_factory.mktemp("conformance")
    started = {s: suite.start_scenario(s, root / s) for s in suite.CORE_SCENARIOS}
    try:
        yield {s: suite.finish_scenario(s, root / s, p) for s, p in started.items()}
    finally:
        for process in started.values():
            if process.poll() is None:
                process.kill()
                process.wait()


def test_scenario_servers_see_no_interface_but_loopback() -> None:
    assert interfaces_inside() == ["lo"]


def test_every_non_auth_client_scenario_of_the_pinned_version_is_run() -> None:
    listed = suite.listed_client_scenarios()
    non_auth = [s for s in listed if not s.startswith("auth/")]
    assert non_auth == list(suite.CORE_SCENARIOS), (
        f"conformance {suite.VERSION} lists other client scenarios; add them to "
        "CORE_SCENARIOS (and the driver) so they run"
    )


@pytest.mark.parametrize("scenario", suite.CORE_SCENARIOS)
def test_client_scenario_passes(scenario: str, core_runs: dict[str, suite.ScenarioRun]) -> None:
    run = core_runs[scenario]
    assert run.passed, run.explain()
    assert run.returncode == 0, run.explain()


def test_form_elicitation_is_answered_by_the_apps_callback_with_the_defaults(
    core_runs: dict[str, suite.ScenarioRun],
) -> None:
    run = core_runs["elicitation-sep1034-client-defaults"]
    defaults = {
        c["id"].removeprefix("client-elicitation-sep1034-"): c["details"]["receivedValue"]
        for c in run.checks
        if c["id"].endswith("-default") and c["status"] == "SUCCESS"
    }
    assert defaults == {
        "string-default": "John Doe",
        "integer-default": 30,
        "number-default": 95.5,
        "enum-default": "active",
        "boolean-default": True,
    }, run.explain()


PER_USER = tuple(s for s in suite.AUTH_SCENARIOS if s not in suite.WITHOUT_A_USER)


@pytest.fixture(scope="module")
def auth_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, suite.ScenarioRun]:
    """Every per-user auth scenario, through the library as each user's OAuth client
    (the driver plays the browser), four at a time."""
    return suite.run_many(PER_USER, tmp_path_factory.mktemp("conformance-auth"))


def test_every_auth_client_scenario_of_the_pinned_version_is_known() -> None:
    listed = [s for s in suite.listed_client_scenarios() if s.startswith("auth/")]
    assert listed == list(suite.AUTH_SCENARIOS), (
        f"conformance {suite.VERSION} lists other auth scenarios; add them to AUTH_SCENARIOS"
    )


@pytest.mark.parametrize("scenario", PER_USER)
def test_auth_scenario_passes_with_the_app_as_the_users_oauth_client(
    scenario: str, auth_runs: dict[str, suite.ScenarioRun]
) -> None:
    run = auth_runs[scenario]
    assert run.passed, run.explain()
    assert "Traceback" not in run.client_stderr, run.explain()


def test_a_resource_mismatch_ends_in_a_typed_error_before_any_authorization(
    auth_runs: dict[str, suite.ScenarioRun],
) -> None:
    run = auth_runs["auth/resource-mismatch"]
    assert "auth/resource-mismatch: ResourceMismatch: " in run.client_stderr, run.explain()


def test_an_always_refused_scope_is_asked_for_once_then_a_typed_error(
    auth_runs: dict[str, suite.ScenarioRun],
) -> None:
    run = auth_runs["auth/scope-retry-limit"]
    attempts = [c for c in run.checks if c["id"] == "scope-retry-auth-attempt"]
    assert len(attempts) == 1, run.explain()
    assert "auth/scope-retry-limit: InsufficientScope: " in run.client_stderr, run.explain()


AUTH = os.environ.get("MCP_CONFORMANCE_AUTH") == "1"


@pytest.mark.slow
@pytest.mark.skipif(
    not AUTH, reason="grants without a user (~15 s each) run with MCP_CONFORMANCE_AUTH=1"
)
def test_grants_without_a_user_fail_closed_with_a_typed_error(tmp_path: Path) -> None:
    """Client credentials and SEP-990 token exchange have no app user: app-run OAuth is
    per user by design, so each ends in a typed GatewayError, never a crash or hang."""
    runs = suite.run_many(suite.WITHOUT_A_USER, tmp_path)
    for scenario, run in runs.items():
        assert not run.passed, scenario
        assert "Traceback" not in run.client_stderr, run.explain()
        assert re.search(rf"^{re.escape(scenario)}: \w+: ", run.client_stderr, re.M), run.explain()
