"""Fixtures shared by the whole suite: real servers on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from mcp_gateway_tools.devgateway import DevGateway, mcp_oauth_config
from tests.support import postgres
from tests.support.faultgateway import FaultGateway
from tests.support.serving import ThreadedServer, free_port

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
    app.requests.clear()
    app.consented.clear()
    return app


@pytest.fixture(scope="module")
def dev_server() -> Iterator[DevGateway]:
    """A dev gateway per test module."""
    with DevGateway() as dev:
        yield dev


@pytest.fixture
def dev(dev_server: DevGateway) -> Iterator[DevGateway]:
    """The dev gateway with no consent granted (revoked again after the test).

    Folders whose tests need another starting state define their own ``dev``."""
    for identity, server in dev_server.grants():
        dev_server.revoke(identity, server)
    yield dev_server
    for identity, server in dev_server.grants():
        dev_server.revoke(identity, server)


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
