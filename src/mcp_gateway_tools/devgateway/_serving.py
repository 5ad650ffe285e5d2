"""uvicorn, embedded: servers that start on pre-bound sockets and stop promptly.

Only uvicorn's public API is used: ``serve(sockets=...)``, ``should_exit``, and the
overridable ``capture_signals`` / ``main_loop`` / ``on_tick`` hooks. uvicorn's own
``shutdown`` runs unchanged (it closes idle keep-alive connections at once, waits for
busy ones up to ``timeout_graceful_shutdown`` and runs the lifespan shutdown); it
pauses 0.1 s, the price of not depending on its internals.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn

__all__ = ["EmbeddedServer", "bind_loopback"]


class EmbeddedServer(uvicorn.Server):
    """uvicorn for embedding: no signal handling (it must not steal Ctrl-C), and a
    prompt stop: :meth:`request_stop` wakes the main loop instead of waiting for its
    next 0.1 s poll of ``should_exit``."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._wake = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.1):
                    await self._wake.wait()

    def request_stop(self) -> None:
        self.should_exit = True
        self._wake.set()


def bind_loopback(host: str, port: int = 0) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto says TCP, and without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock
