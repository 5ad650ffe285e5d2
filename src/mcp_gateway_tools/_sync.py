"""Run gateway coroutines from synchronous code, including inside a running loop.

Sync ``invoke`` must work in a plain script and inside Jupyter, whose loop is already
running (so ``asyncio.run`` is not allowed and blocking that loop would deadlock). One
daemon thread runs a private event loop; sync calls are submitted to it and the
caller's thread waits. Sessions opened there stay on that loop: no session is ever
used across loops. The caller's context (its ``user_token`` binding) goes with the call.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["BackgroundLoop", "background_loop", "run_sync"]

T = TypeVar("T")


class BackgroundLoop:
    """A private event loop on a daemon thread, started on first use."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def serve() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                threading.Thread(target=serve, name="mcp-gateway-tools-sync", daemon=True).start()
                ready.wait()
                self._loop = loop
            return self._loop

    def is_current(self) -> bool:
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the private loop in the caller's context; wait for it."""
        if self.is_current():
            coro.close()
            raise RuntimeError("a sync gateway call was made from the gateway's own loop")
        loop = self.loop
        context = contextvars.copy_context()
        done: concurrent.futures.Future[T] = concurrent.futures.Future()

        def start() -> None:
            task = loop.create_task(coro, context=context)

            def finish(t: asyncio.Task[T]) -> None:
                if t.cancelled():
                    done.cancel()
                elif (exc := t.exception()) is not None:
                    done.set_exception(exc)
                else:
                    done.set_result(t.result())

            task.add_done_callback(finish)

        loop.call_soon_threadsafe(start)
        return done.result()

    def stop(self) -> None:
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)


background_loop = BackgroundLoop()


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code (script, thread or notebook cell)."""
    return background_loop.run(coro)
