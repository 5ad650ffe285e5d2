"""One server-everything process for the test session, and Gateways that reach it by alias."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from mcp_gateway_tools import Gateway
from tests.everything.server import EverythingServer

SERVER = "everything"
"""The alias every test uses for the reference server."""


@pytest.fixture(scope="session")
def everything(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EverythingServer]:
    server = EverythingServer(tmp_path_factory.mktemp("everything"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def gateway_for(server: EverythingServer) -> Gateway:
    """A Gateway that names the reference server's URL under the ``everything`` alias."""
    return Gateway(servers={SERVER: server.url}, token="everything-test")


@pytest.fixture
async def everything_gateway(everything: EverythingServer) -> AsyncIterator[Gateway]:
    """A Gateway that names the reference server's URL under the ``everything`` alias."""
    async with gateway_for(everything) as gw:
        yield gw
