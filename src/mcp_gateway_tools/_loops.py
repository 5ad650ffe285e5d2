"""What a Gateway holds on each event loop it is used from, and closing all of it.

An open MCP session and an HTTP connection belong to the loop that opened them, so a
Gateway keeps one :class:`LoopState` per running loop: the session pool, the shared
connection pool, and the wake-ups of authorization waits on that loop. Closing
(:meth:`LoopStates.aclose`) reaches every loop, from any thread; what nobody closed
is closed at interpreter exit, so notebooks and scripts need no ceremony.
"""

from __future__ import annotations

import asyncio
import atexit
import ssl
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx2

from ._errors import GatewayClosed
from ._sessions import ClientFactory, SessionPool
from ._sync import background_loop, run_sync
from ._waiting import Wakers

__all__ = ["LoopState", "LoopStates", "open_loop_state"]

MAX_KEEPALIVE_CONNECTIONS = 64


@dataclass(eq=False)
class LoopState:
    """What a Gateway holds on one event loop."""

    pool: SessionPool
    http: httpx2.AsyncHTTPTransport
    wakers: Wakers = field(default_factory=Wakers)
    """The authorization waits running on this loop, woken by a completion notice."""

    async def aclose(self) -> None:
        await self.pool.aclose()
        await self.http.aclose()


def open_loop_state(
    factory: ClientFactory,
    *,
    verify: ssl.SSLContext,
    max_sessions: int,
    idle_timeout: float,
) -> LoopState:
    """A new loop's session pool over one connection pool shared by its sessions."""
    http = httpx2.AsyncHTTPTransport(
        verify=verify,
        limits=httpx2.Limits(
            max_connections=None, max_keepalive_connections=MAX_KEEPALIVE_CONNECTIONS
        ),
    )
    pool = SessionPool(factory, max_sessions=max_sessions, idle_timeout=idle_timeout)
    return LoopState(pool, http)


class LoopStates:
    """One Gateway's :class:`LoopState` per event loop, created on first use."""

    def __init__(self, open_state: Callable[[], LoopState]) -> None:
        self._open_state = open_state
        self._states: dict[asyncio.AbstractEventLoop, LoopState] = {}
        self.closed = False
        _live.add(self)

    def current(self) -> LoopState:
        """The running loop's state (opened now if new); :class:`GatewayClosed` once closed."""
        if self.closed:
            raise GatewayClosed("This Gateway is closed.")
        loop = asyncio.get_running_loop()
        state = self._states.get(loop)
        if state is None:
            for stale in [lp for lp in self._states if lp.is_closed()]:
                del self._states[stale]
            state = self._states[loop] = self._open_state()
        return state

    def existing(self) -> LoopState | None:
        """The running loop's state if it has one (RuntimeError outside a loop)."""
        return self._states.get(asyncio.get_running_loop())

    def on_every_loop(self, action: Callable[[LoopState], object]) -> None:
        """Run ``action`` on each loop's state, on that loop (now, if it is this one)."""
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        for loop, state in list(self._states.items()):
            if loop is current:
                action(state)
            elif loop.is_running() and not loop.is_closed():
                loop.call_soon_threadsafe(action, state)

    async def aclose(self) -> None:
        """Close every loop's sessions and connections, each on its own loop; once."""
        if self.closed:
            return
        self.closed = True
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        states, self._states = self._states, {}
        for loop, state in states.items():
            if loop is current:
                await state.aclose()
            elif loop.is_running():
                done = asyncio.run_coroutine_threadsafe(state.aclose(), loop)
                if current is not None:
                    await asyncio.wrap_future(done)
                else:
                    done.result(timeout=10)
        _live.discard(self)


_live: weakref.WeakSet[LoopStates] = weakref.WeakSet()


@atexit.register
def _close_all_at_exit() -> None:
    """Close what notebooks and scripts left open, quietly, before the interpreter goes."""
    for states in list(_live):
        try:
            if not background_loop.is_current():
                run_sync(states.aclose())
        except Exception:  # noqa: S112 - best effort at exit
            continue
    background_loop.stop()
