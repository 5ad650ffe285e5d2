"""pytest plugin: the ``devgateway`` fixture (a running DevGateway with the default config).

Enable it with ``pytest_plugins = ["mcp_gateway_tools.devgateway.pytest_plugin"]`` in the
top-level conftest.py (or import the two fixtures into a nested one). The fixture is
function-scoped so grants never leak between tests; the gateway runs in a background
thread, so it serves sync and async tests alike. Override ``devgateway_config`` to use
your own config. Importing this module needs no extra, so it is safe as an
auto-loaded plugin; the fixture itself needs the ``devgateway`` extra.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from . import load_server_module
from ._config import GatewayConfig, default_config

if TYPE_CHECKING:
    from ._runner import DevGateway

__all__ = ["devgateway", "devgateway_config"]


@pytest.fixture
def devgateway_config() -> GatewayConfig:
    """The config the ``devgateway`` fixture starts with; override it in a conftest."""
    return default_config()


@pytest.fixture
def devgateway(devgateway_config: GatewayConfig) -> Iterator[DevGateway]:
    """A running dev gateway on a free loopback port, stopped after the test."""
    runner = load_server_module("._runner")
    with runner.DevGateway(devgateway_config) as gateway:
        yield gateway
