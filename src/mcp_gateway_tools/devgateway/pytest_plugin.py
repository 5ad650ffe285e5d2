"""pytest plugin: the ``devgateway`` fixture (a running DevGateway with the default config).

Installing the package registers it (a ``pytest11`` entry point), so any test can take
``devgateway``; ``-p no:mcp_gateway_tools_devgateway`` turns it off. The fixture is
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
