"""Session fixtures: real ContextForge, LiteLLM and mcp-proxy processes on 127.0.0.1.

The three gateway venvs are installed concurrently the first time any interop test
runs (cached under ``~/.cache/mcp-gateway-tools/interop/``). Each gateway starts once
per session, is health-checked with a bounded wait and stopped by its PID at the end.
When a test fails, the last lines of every running gateway's log are attached to its
report. Nothing here skips: a gateway that cannot be installed or started fails the
tests that need it, with pip's or the gateway's own words.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.interop.contextforge import ContextForge, contextforge_process, follow_consent_link
from tests.interop.harness import (
    CONTEXTFORGE,
    LITELLM,
    MCP_PROXY,
    GatewayProcess,
    HarnessError,
    Installs,
    Pin,
)
from tests.interop.litellm import LiteLLMKeys, litellm_config, litellm_process
from tests.interop.mcpproxy import mcp_proxy_process
from tests.interop.oauth_server import MockAuthorizationServer
from tests.interop.upstream import echo_app
from tests.support.serving import ThreadedServer, free_port

_HERE = Path(__file__).resolve().parent
_running: list[GatewayProcess] = []
_timings: dict[str, float] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/interop/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.interop)
            # The per-test limit covers the test, not the session's installs and starts
            # (those are bounded by the harness itself).
            item.add_marker(pytest.mark.timeout(120, func_only=True))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    if getattr(report, "failed", False):
        for process in _running:
            report.sections.append((f"{process.name} log (last lines)", process.log_tail()))
    return report


def pytest_terminal_summary(terminalreporter: object) -> None:
    if _timings:
        line = ", ".join(f"{k} {v:.1f}s" for k, v in _timings.items())
        terminalreporter.write_line(f"interop setup: {line}")  # type: ignore[attr-defined]
    if _boot is not None and _boot.dir.exists():
        terminalreporter.write_line(f"interop gateway logs kept in {_boot.dir}")  # type: ignore[attr-defined]


class Launcher:
    """Every gateway process of the session, launched early so that they boot while
    other work runs; a fixture waits only for the one it needs.

    ContextForge (the first tests' gateway) and mcp-proxy (cheap) are launched first;
    the rest as soon as ContextForge is healthy, so that four boots do not share the
    CPU at the same moment. Asking for any gateway launches it if it is not yet.
    """

    def __init__(self, installs: Installs) -> None:
        self.installs = installs
        self.builders: dict[str, tuple[Pin, Callable[[Path], GatewayProcess]]] = {}
        self.processes: dict[str, GatewayProcess] = {}
        self.failures: dict[str, str] = {}
        self._lock = threading.Lock()

    def add(self, key: str, pin: Pin, build: Callable[[Path], GatewayProcess]) -> None:
        self.builders[key] = (pin, build)

    def launch(self, key: str) -> None:
        with self._lock:
            if key in self.processes or key in self.failures:
                return
            pin, build = self.builders[key]
            try:
                process = build(self.installs.venv(pin))
                process.launch()
            except HarnessError as exc:
                self.failures[key] = str(exc)
                return
            self.processes[key] = process
            _running.append(process)

    def launch_all(self) -> None:
        for key in self.builders:
            self.launch(key)

    def ready(self, key: str) -> GatewayProcess:
        """The process, once healthy; the test fails with the reason otherwise."""
        self.launch(key)
        if key in self.failures:
            pytest.fail(self.failures[key], pytrace=False)
        process = self.processes[key]
        started = time.monotonic()
        try:
            process.wait_healthy()
        except HarnessError as exc:
            self.failures[key] = str(exc)
            pytest.fail(str(exc), pytrace=False)
        _timings.setdefault(f"{key} healthy after a wait of", time.monotonic() - started)
        return process

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.stop()
        _running.clear()


class Boot:
    """Everything the interop tests use, started while pytest is still collecting.

    The upstreams and the authorization server run in this process (threads); the
    gateways are subprocesses. Installing and booting them is most of the suite's time,
    so it begins as soon as pytest starts collecting ``tests/interop`` and overlaps
    with collection (and, under ``make test``, with the tests that run before these).
    """

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.dir = Path(tempfile.mkdtemp(prefix="mcp-gateway-tools-interop-"))
        self.installs = Installs()
        self.authorization_server = MockAuthorizationServer()
        self._servers: list[ThreadedServer] = []
        self.authorization_server_url = self._serve(self.authorization_server.app()).url
        self.upstream = self._serve(echo_app("echo"))
        self.protected_upstream = self._serve(
            echo_app("echo-oauth", verify=self.authorization_server.verify)
        )
        self.launcher = Launcher(self.installs)
        self.litellm_keys = self._add_gateways()
        threading.Thread(target=self._launch_first, name="interop-boot", daemon=True).start()

    def _serve(self, app: object) -> ThreadedServer:
        server = ThreadedServer(app)
        server.start()
        self._servers.append(server)
        return server

    def _add_gateways(self) -> LiteLLMKeys:
        launcher, root = self.launcher, self.dir
        config = litellm_config(
            f"{self.upstream.url}/mcp",
            f"{self.protected_upstream.url}/mcp",
            self.authorization_server_url,
        )
        (root / "litellm").mkdir()
        keys = LiteLLMKeys(root / "litellm" / "keys.json")
        keys.issue("sk-alice", "alice")
        keys.issue("sk-bob", "bob")
        keys.issue("sk-service", "service-account")
        launcher.add(
            "contextforge",
            CONTEXTFORGE,
            lambda venv: contextforge_process(venv, root / "contextforge", free_port()),
        )
        launcher.add(
            "mcp-proxy",
            MCP_PROXY,
            lambda venv: mcp_proxy_process(venv, root / "mcp-proxy", free_port()),
        )
        launcher.add(
            "litellm",
            LITELLM,
            lambda venv: litellm_process(venv, root / "litellm", free_port(), config),
        )
        launcher.add(
            "contextforge-limited",
            CONTEXTFORGE,
            lambda venv: contextforge_process(
                venv, root / "contextforge-limited", free_port(), mcp_requests_per_minute=5
            ),
        )
        return keys

    def _launch_first(self) -> None:
        self.launcher.launch("contextforge")
        self.launcher.launch("mcp-proxy")

    def close(self, *, keep_logs: bool) -> None:
        self.launcher.stop_all()
        for server in self._servers:
            server.stop()
        self.installs.shutdown()
        for report in self.installs.reports():
            if report.created:
                _timings[f"install {report.pin.name}"] = report.seconds
        _timings["boot to end"] = time.monotonic() - self.started
        if not keep_logs:
            shutil.rmtree(self.dir, ignore_errors=True)


_boot: Boot | None = None


def _the_boot() -> Boot:
    global _boot
    if _boot is None:
        _boot = Boot()
    return _boot


def pytest_collectstart(collector: pytest.Collector) -> None:
    """Start installing and booting the gateways when their tests are collected."""
    if not collector.config.option.collectonly and _HERE in Path(collector.path).parents:
        _the_boot()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _boot is not None:
        _boot.close(keep_logs=exitstatus != 0)


@pytest.fixture(scope="session")
def boot() -> Boot:
    return _the_boot()


@pytest.fixture(scope="session")
def installs(boot: Boot) -> Installs:
    return boot.installs


@pytest.fixture(scope="session")
def authorization_server(boot: Boot) -> MockAuthorizationServer:
    return boot.authorization_server


@pytest.fixture(scope="session")
def authorization_server_url(boot: Boot) -> str:
    return boot.authorization_server_url


@pytest.fixture(scope="session")
def upstream(boot: Boot) -> ThreadedServer:
    """The shared echo upstream every gateway fronts."""
    return boot.upstream


@pytest.fixture(scope="session")
def protected_upstream(boot: Boot) -> ThreadedServer:
    """An echo upstream that accepts only access tokens our authorization server issued."""
    return boot.protected_upstream


@pytest.fixture(scope="session")
def launcher(boot: Boot) -> Launcher:
    return boot.launcher


# -- ContextForge -----------------------------------------------------------------------


@dataclass
class ContextForgeSetup:
    """A configured ContextForge: users, a shared and a per-user-OAuth virtual server."""

    cf: ContextForge
    shared_server: str  # uuid of the virtual server fronting the shared echo upstream
    oauth_server: str  # uuid of the virtual server fronting the OAuth-protected upstream
    oauth_gateway_id: str
    alice: str  # login JWTs; alice and bob may execute tools, dave may not
    bob: str
    dave: str

    @property
    def url(self) -> str:
        return self.cf.url

    def consent(self, link: str, token: str, user: str) -> int:
        """Follow a consent link as ``user`` signed in with ``token``; the callback status."""
        return follow_consent_link(link, token, user).status_code


@pytest.fixture(scope="session")
def contextforge(
    launcher: Launcher,
    upstream: ThreadedServer,
    protected_upstream: ThreadedServer,
    authorization_server_url: str,
) -> ContextForgeSetup:
    process = launcher.ready("contextforge")
    launcher.launch_all()  # the others boot while ContextForge's tests run
    return _configure_contextforge(
        ContextForge(process), upstream, protected_upstream, authorization_server_url
    )


@pytest.fixture(scope="session")
def consented(contextforge: ContextForgeSetup) -> ContextForgeSetup:
    """Alice and Bob have each authorized ContextForge's per-user OAuth upstream,
    through the real flow (signed in to ContextForge, consenting at the server)."""
    link = f"{contextforge.url}/oauth/authorize/{contextforge.oauth_gateway_id}"
    assert contextforge.consent(link, contextforge.alice, "alice") == 200
    assert contextforge.consent(link, contextforge.bob, "bob") == 200
    return contextforge


def _configure_contextforge(
    cf: ContextForge, upstream: ThreadedServer, protected: ThreadedServer, oauth_base: str
) -> ContextForgeSetup:
    shared = cf.register_gateway("echo", f"{upstream.url}/mcp")
    shared_server = cf.create_server("echo", cf.tool_ids(shared["id"]))
    oauth = cf.register_oauth_gateway("mail", f"{protected.url}/mcp", oauth_base)
    # The admin consents once and fetches the tools, as the admin UI does; users must
    # still consent for themselves before a call carries their own upstream token.
    follow_consent_link(f"{cf.url}/oauth/authorize/{oauth['id']}", cf.admin_token, "admin")
    cf.fetch_tools_after_consent(oauth["id"])
    oauth_server = cf.create_server("mail", cf.tool_ids(oauth["id"]))
    return ContextForgeSetup(
        cf=cf,
        shared_server=shared_server,
        oauth_server=oauth_server,
        oauth_gateway_id=oauth["id"],
        alice=cf.create_user("alice@example.com"),
        bob=cf.create_user("bob@example.com"),
        dave=cf.create_user("dave@example.com", may_execute_tools=False),
    )


@pytest.fixture(scope="session")
def contextforge_limited(launcher: Launcher, upstream: ThreadedServer) -> tuple[ContextForge, str]:
    """A second ContextForge allowing 5 MCP requests a minute, for the rate-limit test
    alone (its 15-minute lockout would otherwise poison every other test)."""
    cf = ContextForge(launcher.ready("contextforge-limited"))
    gateway = cf.register_gateway("echo", f"{upstream.url}/mcp")
    server = cf.create_server("echo", cf.tool_ids(gateway["id"]))
    cf.create_user("erin@example.com")
    return cf, server


# -- LiteLLM ------------------------------------------------------------------------------


@dataclass
class LiteLLMSetup:
    process: GatewayProcess
    keys: LiteLLMKeys

    @property
    def url(self) -> str:
        return self.process.url


@pytest.fixture(scope="session")
def litellm(launcher: Launcher) -> LiteLLMSetup:
    return LiteLLMSetup(launcher.ready("litellm"), _the_boot().litellm_keys)


# -- mcp-proxy ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def mcp_proxy(launcher: Launcher) -> GatewayProcess:
    return launcher.ready("mcp-proxy")
