"""Fixtures for the LlamaIndex adapter: the dev gateway, Gateways, agents' LLM scripts.

One dev gateway serves the whole module (starting one costs two uvicorn servers);
every test starts with no consent granted, so tests stay independent.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.devgateway import DevGateway
from tests.llamaindex.servers import tickets_app
from tests.support.serving import ThreadedServer, serve


@pytest.fixture
def alice(dev: DevGateway) -> str:
    return dev.tokens.user("alice")


@pytest.fixture
def bob(dev: DevGateway) -> str:
    return dev.tokens.user("bob")


@pytest.fixture
async def gateway(dev: DevGateway) -> AsyncIterator[Gateway]:
    """Per-user mode: no service token; every call needs a bound user token."""
    async with Gateway(dev.base_url) as gw:
        yield gw


@pytest.fixture
async def service_gateway(dev: DevGateway) -> AsyncIterator[Gateway]:
    """Scenario A: the virtual account's token, static."""
    async with Gateway(dev.base_url, token=dev.tokens.service) as gw:
        yield gw


@pytest.fixture(scope="module")
def tickets() -> Iterator[ThreadedServer]:
    with serve(tickets_app()) as server:
        yield server


@pytest.fixture
def all_tokens(dev: DevGateway) -> list[str]:
    return [*dev.tokens.users.values(), *dev.tokens.accounts.values()]


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog
