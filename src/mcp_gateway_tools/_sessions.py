"""A pool of open MCP sessions, one per (endpoint, identity).

An open fastmcp ``Client`` carries the headers it connected with, so one open client
is one identity (DESIGN §2): the token and any extra headers, together identified by
``Credential.identity`` (a keyed HMAC over both). Keying the pool by it, never by
anything read later from context, is what keeps one user's calls out of another's
session (the failure seen in pydantic-ai #6411). Concurrent calls of one user share
the session (the client is reentrant); the pool is bounded (least recently used idle
sessions are closed first) and idle sessions expire.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from fastmcp import Client

from . import _wirelog
from ._errors import GatewayClosed, SessionPoolExhausted
from ._tokens import Credential

__all__ = ["PooledSession", "SessionPool"]

logger = logging.getLogger("mcp_gateway_tools.sessions")

SessionKey = tuple[str, str]
ClientFactory = Callable[[str, Credential, "PooledSession"], Client[Any]]


@dataclass(eq=False)
class PooledSession:
    """One open client and what we know about it."""

    key: SessionKey
    server: str
    token: str = ""
    """The fingerprint of the session's token (sessions of a rotated token are closed)."""
    client: Client[Any] | None = None
    in_use: int = 0
    last_used: float = field(default_factory=time.monotonic)
    tools_listed: bool = False
    lost: bool = False
    pending_urls: list[Any] = field(default_factory=list)
    """URL elicitations the server sent outside any call's context (legacy servers)."""


@dataclass(eq=False)
class _Opening:
    """A session being opened, and how many callers wait for it."""

    task: asyncio.Task[PooledSession] = field(init=False)
    waiters: int = 0


class SessionPool:
    """Open, share, bound and close sessions for one event loop."""

    def __init__(self, factory: ClientFactory, *, max_sessions: int, idle_timeout: float) -> None:
        self._factory = factory
        self._max = max_sessions
        self._idle_timeout = idle_timeout
        self._sessions: OrderedDict[SessionKey, PooledSession] = OrderedDict()
        self._opening: dict[SessionKey, _Opening] = {}
        self._closers: set[asyncio.Task[None]] = set()
        self._closed = False
        self.opened = 0
        """Sessions opened since start (for tests and benchmarks)."""
        _wirelog.attach()  # loggers created since import get the redacting filter too

    def __len__(self) -> int:
        return len(self._sessions)

    @asynccontextmanager
    async def session(
        self, endpoint: str, server: str, credential: Credential
    ) -> AsyncIterator[PooledSession]:
        """Hold an open session for ``credential`` at ``endpoint`` for the block."""
        entry = await self._claim((endpoint, credential.identity), server, credential)
        try:
            yield entry
        finally:
            entry.in_use -= 1
            entry.last_used = time.monotonic()
            if entry.lost:
                self._forget(entry)

    async def _claim(self, key: SessionKey, server: str, credential: Credential) -> PooledSession:
        """The identity's open session, already marked in use (nothing can evict it).

        A session found lost when a waiter resumes is released and another is opened,
        a few times at most; then :class:`SessionPoolExhausted` (retryable).
        """
        for _ in range(5):
            entry = await self._claim_once(key, server, credential)
            if not entry.lost:
                return entry
            self._release(entry)
        raise SessionPoolExhausted(
            "Could not hold an open session: the session pool is under heavy pressure "
            f"(max_sessions={self._max}). Nothing was sent; retry the call.",
            server=server,
        )

    async def _claim_once(
        self, key: SessionKey, server: str, credential: Credential
    ) -> PooledSession:
        """Reuse the open session, or share the one being opened, or open it.

        The open runs in its own task, shielded from every caller: a caller that is
        cancelled stops waiting, while the others still get the session (issue 12
        item 5). The task marks the session in use once per waiter the moment it is
        registered, so pool pressure cannot evict it before they resume. A failed open
        reaches every waiter as the same failure, which each classifies itself.
        """
        if self._closed:
            raise GatewayClosed("This Gateway is closed.", server=server)
        self._expire_idle()
        entry = self._sessions.get(key)
        if entry is not None and not entry.lost:
            self._sessions.move_to_end(key)
            entry.in_use += 1
            logger.debug("reuse session server=%s identity=%s", server, key[1][:12])
            return entry
        opening = self._opening.get(key)
        if opening is None:
            opening = _Opening()
            opening.task = asyncio.get_running_loop().create_task(
                self._open(key, server, credential, opening)
            )
            self._opening[key] = opening
            opening.task.add_done_callback(lambda task: self._opened(key, opening))
        opening.waiters += 1
        task = opening.task
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not task.cancelled() or (current is not None and current.cancelling()):
                self._give_up(opening)  # this caller was cancelled
                raise
        # The open itself was cancelled (the pool is closing), not this caller.
        raise GatewayClosed("This Gateway was closed while connecting.", server=server)

    def _give_up(self, opening: _Opening) -> None:
        """A waiter was cancelled: drop its claim (or its share of the session)."""
        task = opening.task
        if task.done() and not task.cancelled() and task.exception() is None:
            self._release(task.result())
        else:
            opening.waiters -= 1

    def _release(self, entry: PooledSession) -> None:
        entry.in_use -= 1
        entry.last_used = time.monotonic()
        if entry.lost and entry.in_use == 0:
            self._forget(entry)

    def _opened(self, key: SessionKey, opening: _Opening) -> None:
        """Forget a finished open; mark its failure retrieved (every waiter re-raises it)."""
        if self._opening.get(key) is opening:
            del self._opening[key]
        if not opening.task.cancelled():
            opening.task.exception()

    async def _open(
        self, key: SessionKey, server: str, credential: Credential, opening: _Opening
    ) -> PooledSession:
        entry = PooledSession(key=key, server=server, token=credential.fingerprint)
        # This task's context is copied into every task the session spawns: their
        # third-party log records lose this identity's token (_wirelog).
        _wirelog.wire_secret.set(credential.secret.get_secret_value())
        client = self._factory(key[0], credential, entry)
        await client.__aenter__()  # type: ignore[no-untyped-call]
        entry.client = client
        if self._closed:
            await _close(entry)
            raise GatewayClosed("This Gateway was closed while connecting.", server=server)
        # From here to the return nothing awaits: the waiters' claims and the
        # registration happen together, so no other task sees it unclaimed.
        entry.in_use = opening.waiters
        self.opened += 1
        self._sessions[key] = entry
        logger.debug("opened session server=%s identity=%s", server, key[1][:12])
        self._evict_over_bound(keep=entry)
        return entry

    def discard_token(self, token: str) -> int:
        """Close every session of the token with this fingerprint (it was rotated)."""
        stale = [e for e in self._sessions.values() if e.token == token]
        for entry in stale:
            self.discard(entry)
        return len(stale)

    def discard(self, entry: PooledSession) -> None:
        """Mark a session unusable; it is closed once no call holds it."""
        entry.lost = True
        if entry.in_use == 0:
            self._forget(entry)

    def _forget(self, entry: PooledSession) -> None:
        if self._sessions.get(entry.key) is entry:
            del self._sessions[entry.key]
        self._close_later(entry, "lost" if entry.lost else "evicted")

    def _expire_idle(self) -> None:
        now = time.monotonic()
        for entry in list(self._sessions.values()):
            if entry.in_use == 0 and now - entry.last_used > self._idle_timeout:
                del self._sessions[entry.key]
                self._close_later(entry, "idle")

    def _evict_over_bound(self, keep: PooledSession) -> None:
        excess = len(self._sessions) - self._max
        for entry in list(self._sessions.values()):
            if excess <= 0:
                break
            if entry.in_use == 0 and entry is not keep:
                del self._sessions[entry.key]
                self._close_later(entry, "evicted")
                excess -= 1
        if excess > 0:
            logger.debug("pool over its bound by %d: every session is in use", excess)

    def _close_later(self, entry: PooledSession, why: str) -> None:
        logger.debug(
            "closing session server=%s identity=%s reason=%s", entry.server, entry.key[1][:12], why
        )
        task = asyncio.get_running_loop().create_task(_close(entry))
        self._closers.add(task)
        task.add_done_callback(self._closers.discard)

    async def aclose(self) -> None:
        """Close every session and wait for the closes to finish."""
        self._closed = True
        opening = [o.task for o in self._opening.values()]
        for task in opening:
            task.cancel()
        await asyncio.gather(*opening, return_exceptions=True)
        entries = list(self._sessions.values())
        self._sessions.clear()
        await asyncio.gather(*(_close(e) for e in entries), *list(self._closers))


async def _close(entry: PooledSession) -> None:
    client, entry.client = entry.client, None
    if client is None:
        return
    with suppress(Exception):
        await client.close()  # type: ignore[no-untyped-call]
