"""The hostile gateway, served on 127.0.0.1 for the whole folder."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import quote

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


TOKEN_FORMS = (
    quote(TOKEN, safe=""),
    "".join(f"\\u{ord(c):04x}" for c in TOKEN),
    "".join(f"\\u{ord(c):04X}" for c in TOKEN),
    "".join(f"\\\\u{ord(c):04x}" for c in TOKEN),  # as the repr of JSON source
)
"""Spellings of TOKEN the leak scan's own forms (raw, base64, hashes) do not cover."""


def leaked_forms(texts: Iterable[str]) -> list[str]:
    """The texts that hold one of TOKEN_FORMS (the scan's extra spellings)."""
    return [t for t in texts if any(form in t for form in TOKEN_FORMS)]
