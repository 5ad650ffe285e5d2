"""uvicorn, embedded: servers that start on pre-bound sockets and stop promptly.

Tests start and stop a dev gateway per test, so the fixed pauses in uvicorn's stop path
(a 0.1 s poll of ``should_exit``, a 0.1 s sleep in ``shutdown``) would add up over a
suite; these subclasses remove them without changing what uvicorn does otherwise.
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
    prompt stop (uvicorn polls ``should_exit`` every 0.1 s; tests start and stop a
    gateway per test, so the wake-up event saves that wait every time)."""

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

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's shutdown without its fixed 0.1 s pause (idle keep-alive
        connections close at once); falls back to uvicorn's own if its internals move."""
        try:
            servers, state, lifespan = self.servers, self.server_state, self.lifespan
        except AttributeError:  # pragma: no cover - a future uvicorn
            await super().shutdown(sockets)
            return
        loop = asyncio.get_running_loop()
        for server in servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(state.connections):
            connection.shutdown()
        deadline = loop.time() + float(self.config.timeout_graceful_shutdown or 2)
        # uvicorn exposes no event for "connections drained", so poll briefly.
        while (state.connections or state.tasks) and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        for task in list(state.tasks):
            task.cancel()
        for server in servers:
            await server.wait_closed()
        if not self.force_exit:
            await lifespan.shutdown()

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
