"""Fixtures shared by the whole suite: real servers on 127.0.0.1, one meaning per name.

The dev gateway itself comes from the shipped pytest plugin
(``mcp_gateway_tools.devgateway.pytest_plugin``): ``devgateway`` is a fresh gateway per
test, configured by ``devgateway_config``. Most modules share one instead:

- ``dev_server``: the module's dev gateway; state (grants) carries from test to test.
- ``dev``: the same gateway with no consent granted at the start of each test.
- ``alice`` / ``bob``: their user tokens; ``gateway``: a per-user ``Gateway`` to ``dev``
  (no token of its own); ``service_gateway``: one with the virtual account's token.
- ``fault_server`` / ``fault_gateway``: the one fault-injecting gateway
  (``tests/support/faultgateway.py``), shared by a module; ``fault_client``: a
  per-user ``Gateway`` to it.
- ``through``: runs a test on the async and on the sync entry points
  (``tests/support/through.py``).
- ``chromium_path``: Debian's Chromium for Playwright (``tests/support/browser.py``);
  skips, saying what is missing, when it or the playwright package is absent.
- ``mcp_oauth_dev``: a module's dev gateway whose ``calendar`` is a standard
  OAuth-protected MCP server (the app runs OAuth); ``postgres_dsn``: a real PostgreSQL
  15 for the session.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator

import pytest
from hypothesis import settings

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.devgateway import DevGateway, mcp_oauth_config
from tests.support import postgres
from tests.support.browser import find_chromium
from tests.support.faultgateway import FaultGateway
from tests.support.serving import ThreadedServer, free_port
from tests.support.through import Through

# CI explores the same examples on every run (a red build must be reproducible);
# developers' runs keep exploring new ones.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="module")
def fault_server() -> Iterator[ThreadedServer]:
    """The fault gateway, shared by a module's tests (it keeps no per-test state but
    ``requests`` and ``consented``, which tests reset through ``fault_gateway``)."""
    port = free_port()
    server = ThreadedServer(FaultGateway(f"http://127.0.0.1:{port}"), port)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fault_gateway(fault_server: ThreadedServer) -> FaultGateway:
    app: FaultGateway = fault_server.app
    app.reset()
    return app


@pytest.fixture
async def fault_client(fault_gateway: FaultGateway) -> AsyncIterator[Gateway]:
    """A per-user Gateway to the fault gateway (no token of its own), fresh per test."""
    async with Gateway(fault_gateway.base_url) as gw:
        yield gw


@pytest.fixture(params=["async", "sync"])
def through(request: pytest.FixtureRequest) -> Through:
    """The test runs twice: awaiting the async entry point, then calling its sync twin."""
    return Through(request.param)


@pytest.fixture(scope="module")
def dev_server() -> Iterator[DevGateway]:
    """The module's dev gateway (starting one costs two uvicorn servers); grants made
    by one test are still there for the next."""
    with DevGateway() as dev:
        yield dev


def _revoke_all(dev: DevGateway) -> None:
    for identity, server in dev.grants():
        dev.revoke(identity, server)


@pytest.fixture
def dev(dev_server: DevGateway) -> Iterator[DevGateway]:
    """The module's dev gateway with no consent granted at the start of the test (and
    none left behind for the next one)."""
    _revoke_all(dev_server)
    yield dev_server
    _revoke_all(dev_server)


@pytest.fixture
def alice(dev: DevGateway) -> str:
    return dev.tokens.user("alice")


@pytest.fixture
def bob(dev: DevGateway) -> str:
    return dev.tokens.user("bob")


@pytest.fixture
async def gateway(dev: DevGateway) -> AsyncIterator[Gateway]:
    """A per-user Gateway to ``dev``: no token of its own, every call names its user."""
    async with Gateway(dev.base_url) as gw:
        yield gw


@pytest.fixture
async def service_gateway(dev: DevGateway) -> AsyncIterator[Gateway]:
    """A Gateway with the dev gateway's virtual-account token (scenario A)."""
    async with Gateway(dev.base_url, token=dev.tokens.service) as gw:
        yield gw


THIRD_PARTY = ("mcp", "fastmcp", "httpx2", "httpcore2", "sse_starlette", "client", "asyncio")


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record at DEBUG (for leak scans): the root's, ours and every third-party
    logger's, including those that do not propagate (fastmcp's own logger) and those
    that set their own level (each is put at DEBUG and handed caplog's handler, then
    restored)."""
    caplog.set_level(logging.DEBUG)
    saved = []
    names = [n for n in list(logging.root.manager.loggerDict) if n.split(".")[0] in THIRD_PARTY]
    for name in sorted({*names, *THIRD_PARTY}):
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate))
        logger.setLevel(logging.DEBUG)
        if not logger.propagate:
            logger.addHandler(caplog.handler)
    yield caplog
    for logger, level, propagate in saved:
        logger.setLevel(level)
        if not propagate:
            logger.removeHandler(caplog.handler)


GATEWAY_SETTINGS = (
    "MCP_GATEWAY_URL",
    "MCP_GATEWAY_TOKEN",
    "MCP_GATEWAY_ENDPOINT_TEMPLATE",
    "MCP_GATEWAY_SERVERS",
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No gateway settings from the developer's shell reach the CLI under test."""
    for name in GATEWAY_SETTINGS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium and the playwright package, or skip saying which is missing."""
    path = find_chromium()
    if path is None:
        pytest.skip("no Chromium found (install Debian 'chromium': apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("the playwright Python package is not installed")
    return path


@pytest.fixture(scope="module")
def mcp_oauth_dev() -> Iterator[DevGateway]:
    """A dev gateway per test module whose ``calendar`` is a standard OAuth-protected MCP
    server (``mcp_oauth_config()``: the app runs OAuth; ``mail`` stays gateway-owned)."""
    with DevGateway(mcp_oauth_config()) as dev:
        yield dev


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A real PostgreSQL 15 server (Debian's binaries, as ``nobody`` when root, on a free
    loopback port) started once for the session, stopped after it."""
    if not postgres.available():
        pytest.skip("PostgreSQL 15 binaries not found (set PG_BIN)")
    with postgres.postgres_server() as dsn:
        yield dsn
