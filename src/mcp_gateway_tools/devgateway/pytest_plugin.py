"""pytest plugin: the ``devgateway`` fixture (a running DevGateway with the default config).

Enable it with ``pytest_plugins = ["mcp_gateway_tools.devgateway.pytest_plugin"]`` in a
conftest.py. The fixture is function-scoped so grants never leak between tests; the
gateway runs in a background thread, so it serves sync and async tests alike (use
``devgateway.consent(...)`` from either). Override ``devgateway_config`` to use your own
config.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._config import GatewayConfig, default_config
from ._runner import DevGateway

__all__ = ["devgateway", "devgateway_config"]


@pytest.fixture
def devgateway_config() -> GatewayConfig:
    """The config the ``devgateway`` fixture starts with; override it in a conftest."""
    return default_config()


@pytest.fixture
def devgateway(devgateway_config: GatewayConfig) -> Iterator[DevGateway]:
    """A running dev gateway on a free loopback port, stopped after the test."""
    with DevGateway(devgateway_config) as gateway:
        yield gateway
