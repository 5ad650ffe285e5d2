"""The hostile gateway, served on 127.0.0.1 for the whole folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.security.hostile import HostileGateway
from tests.support.serving import ThreadedServer, free_port

TOKEN = "sk-hostile/Token+42=="
"""The caller's token: '/', '+' and '=' make its percent-encoded form differ."""


@pytest.fixture(scope="session")
def hostile() -> Iterator[ThreadedServer]:
    port = free_port()
    server = ThreadedServer(HostileGateway(f"http://127.0.0.1:{port}"), port)
    server.start()
    yield server
    server.stop()
