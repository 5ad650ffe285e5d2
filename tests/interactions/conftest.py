"""Fixtures: the ``desk`` fastmcp server on 127.0.0.1 and a Gateway in front of it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from mcp_gateway_tools import Gateway
from tests.support.serving import ThreadedServer

from .servers import Ledger, desk_server


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    return Ledger()


@pytest.fixture(scope="module")
def desk(ledger: Ledger) -> Iterator[ThreadedServer]:
    server = ThreadedServer(desk_server(ledger).http_app(path="/mcp/desk/server"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def served(desk: ThreadedServer, ledger: Ledger) -> ThreadedServer:
    ledger.clear()
    return desk


@pytest.fixture
async def desk_gateway(served: ThreadedServer) -> AsyncIterator[Gateway]:
    # The desk server elicits the 2025-11-25 way (server-initiated requests).
    async with Gateway(served.url, token="desk-service-token", protocol_mode="legacy") as gw:
        yield gw
