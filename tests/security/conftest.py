"""The hostile gateway, served on 127.0.0.1 for the whole folder."""

from __future__ import annotations

import logging
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

THIRD_PARTY = ("mcp", "fastmcp", "httpx2", "httpcore2", "sse_starlette", "client", "asyncio")


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record at DEBUG: the root's, ours and every third-party logger's, including
    those that do not propagate (fastmcp's own logger) and those that set their own
    level (each is put at DEBUG and handed caplog's handler, then restored)."""
    caplog.set_level(logging.DEBUG)
    saved = []
    names = [n for n in list(logging.root.manager.loggerDict) if n.split(".")[0] in THIRD_PARTY]
    for name in sorted({*names, *THIRD_PARTY}):
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate))
        logger.setLevel(logging.DEBUG)
        if not logger.propagate:
            logger.addHandler(caplog.handler)
    yield caplog
    for logger, level, propagate in saved:
        logger.setLevel(level)
        if not propagate:
            logger.removeHandler(caplog.handler)


def leaked_forms(texts: Iterable[str]) -> list[str]:
    """The texts that hold one of TOKEN_FORMS (the scan's extra spellings)."""
    return [t for t in texts if any(form in t for form in TOKEN_FORMS)]
