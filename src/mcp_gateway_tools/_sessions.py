"""A pool of open MCP sessions, one per (endpoint, token identity).

An open fastmcp ``Client`` carries the headers it connected with, so one open client
is one identity (DESIGN §2). Keying the pool by the token's fingerprint, never by
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
    client: Client[Any] | None = None
    in_use: int = 0
    last_used: float = field(default_factory=time.monotonic)
    tools_listed: bool = False
    lost: bool = False
    pending_urls: list[Any] = field(default_factory=list)
    """URL elicitations the server sent outside any call's context (legacy servers)."""


class SessionPool:
    """Open, share, bound and close sessions for one event loop."""

    def __init__(self, factory: ClientFactory, *, max_sessions: int, idle_timeout: float) -> None:
        self._factory = factory
        self._max = max_sessions
        self._idle_timeout = idle_timeout
        self._sessions: OrderedDict[SessionKey, PooledSession] = OrderedDict()
        self._opening: dict[SessionKey, asyncio.Future[PooledSession]] = {}
        self._closers: set[asyncio.Task[None]] = set()
        self._closed = False
        self.opened = 0
        """Sessions opened since start (for tests and benchmarks)."""

    def __len__(self) -> int:
        return len(self._sessions)

    @asynccontextmanager
    async def session(
        self, endpoint: str, server: str, credential: Credential
    ) -> AsyncIterator[PooledSession]:
        """Hold an open session for ``credential`` at ``endpoint`` for the block."""
        entry = await self._claim((endpoint, credential.fingerprint), server, credential)
        try:
            yield entry
        finally:
            entry.in_use -= 1
            entry.last_used = time.monotonic()
            if entry.lost:
                self._forget(entry)

    async def _claim(self, key: SessionKey, server: str, credential: Credential) -> PooledSession:
        """Get or open the session and mark it in use before anything can evict it.

        A session shared with a task that opened it can be evicted (under pool
        pressure) before a waiting task resumes; then a fresh one is opened.
        """
        for _ in range(5):
            entry = await self._get_or_open(key, server, credential)
            if self._sessions.get(key) is entry and not entry.lost:
                entry.in_use += 1
                return entry
        raise RuntimeError("could not hold an open session: the pool is under heavy pressure")

    async def _get_or_open(
        self, key: SessionKey, server: str, credential: Credential
    ) -> PooledSession:
        if self._closed:
            raise RuntimeError("the gateway is closed")
        self._expire_idle()
        entry = self._sessions.get(key)
        if entry is not None and not entry.lost:
            self._sessions.move_to_end(key)
            logger.debug("reuse session server=%s identity=%s", server, key[1])
            return entry
        pending = self._opening.get(key)
        if pending is not None:  # another task of this identity is connecting: share it
            return await asyncio.shield(pending)
        future: asyncio.Future[PooledSession] = asyncio.get_running_loop().create_future()
        self._opening[key] = future
        try:
            entry = await self._open(key, server, credential)
        except BaseException as exc:
            if not future.done():
                future.set_exception(exc)
                future.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        finally:
            self._opening.pop(key, None)
        future.set_result(entry)
        return entry

    async def _open(self, key: SessionKey, server: str, credential: Credential) -> PooledSession:
        entry = PooledSession(key=key, server=server)
        client = self._factory(key[0], credential, entry)
        await client.__aenter__()  # type: ignore[no-untyped-call]
        entry.client = client
        self.opened += 1
        self._sessions[key] = entry
        logger.debug("opened session server=%s identity=%s", server, key[1])
        self._evict_over_bound(keep=entry)  # the caller is about to use it
        return entry

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
            "closing session server=%s identity=%s reason=%s", entry.server, entry.key[1], why
        )
        task = asyncio.get_running_loop().create_task(_close(entry))
        self._closers.add(task)
        task.add_done_callback(self._closers.discard)

    async def aclose(self) -> None:
        """Close every session and wait for the closes to finish."""
        self._closed = True
        entries = list(self._sessions.values())
        self._sessions.clear()
        await asyncio.gather(*(_close(e) for e in entries), *list(self._closers))


async def _close(entry: PooledSession) -> None:
    client, entry.client = entry.client, None
    if client is None:
        return
    with suppress(Exception):
        await client.close()  # type: ignore[no-untyped-call]
