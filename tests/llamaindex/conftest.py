"""Fixtures for the LlamaIndex adapter: the dev gateway, Gateways, agents' LLM scripts.

One dev gateway serves the whole module (starting one costs two uvicorn servers);
every test starts with no consent granted, so tests stay independent.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mcp_gateway_tools.devgateway import DevGateway
from tests.llamaindex.servers import tickets_app
from tests.support.serving import ThreadedServer, serve


@pytest.fixture(scope="module")
def tickets() -> Iterator[ThreadedServer]:
    with serve(tickets_app()) as server:
        yield server


@pytest.fixture
def all_tokens(dev: DevGateway) -> list[str]:
    return [*dev.tokens.users.values(), *dev.tokens.accounts.values()]
