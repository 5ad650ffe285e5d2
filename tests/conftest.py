"""Fixtures shared by the whole suite: real servers on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from mcp_gateway_tools.devgateway import DevGateway
from tests.support.browser import find_chromium
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
