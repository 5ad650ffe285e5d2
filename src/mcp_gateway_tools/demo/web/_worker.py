"""One web-demo worker: the app with its lifespan (gateway, checkpointer, agent).

``python -m mcp_gateway_tools.demo.web._worker FD LOG_LEVEL`` reads its
:class:`Settings` as JSON on stdin and serves on the inherited socket ``FD``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sys
from collections.abc import AsyncIterator

from starlette.applications import Starlette

from ._agent import conversations
from ._app import build_app
from ._runs import Conversations
from ._settings import Settings

__all__ = ["worker_app"]


def worker_app(settings: Settings) -> Starlette:
    """The app, opening the worker's gateway, checkpointer and agent in its lifespan."""
    holder: list[Conversations] = []

    def current() -> Conversations:
        if not holder:
            raise RuntimeError("the worker is not started")
        return holder[0]

    app = build_app(settings, current)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with conversations(settings) as runs:
            holder.append(runs)
            yield
            holder.clear()

    app.router.lifespan_context = lifespan
    return app


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.WARNING),
        format="%(asctime)s worker-%(process)d %(levelname)s %(name)s: %(message)s",
    )


def main() -> None:
    fd, level = int(sys.argv[1]), sys.argv[2]
    _configure_logging(level)
    settings = Settings.from_json(sys.stdin.read())
    sock = socket.socket(fileno=fd)
    sock.setblocking(False)
    from ._serve import serve_worker

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_worker(settings, sock, level))


if __name__ == "__main__":
    main()
