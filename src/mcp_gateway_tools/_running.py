"""The call path: a listing or a tool call on an identity's session, and its retries.

An operation (a listing, a tool call) runs on the identity's pooled session. A
failure is classified (``_classify``) and comes out as a typed error cut loose from
the exception that caused it (``_failures``). Two things are retried, once each: a
session lost under a call when running it again is safe, and, opt-in, a rate limit
whose ``Retry-After`` is short enough. Pending consent is remembered per identity, so
that its first success afterwards refreshes what that user may list.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

from fastmcp import Client

from ._addressing import Addressing
from ._classify import Failure, classify
from ._client import (
    ClientSettings,
    build_client,
    call_on_session,
    list_on_session,
    seed_session,
)
from ._content import ToolInfo, ToolResult
from ._discovery import ConsentSet, ToolCache
from ._elicitation import CallState
from ._errors import AuthorizationRequired, GatewayError, GatewayUnavailable, RateLimited
from ._failures import addressed_by_path, cause_of, detached
from ._loops import LoopStates, open_loop_state
from ._sessions import PooledSession
from ._tokens import Credential

__all__ = ["Runner", "retry_wait"]

logger = logging.getLogger("mcp_gateway_tools")
T = TypeVar("T")


class Runner:
    """One Gateway's call path: its per-loop states (``loops``, each session's client
    built here), the listings it caches, pending consent, and the retry rules."""

    def __init__(
        self,
        addressing: Addressing,
        tools: ToolCache,
        awaiting_consent: ConsentSet,
        client_settings: ClientSettings,
        *,
        verify: ssl.SSLContext,
        max_sessions: int,
        idle_timeout: float,
    ) -> None:
        self._addressing = addressing
        self._tools = tools
        self._awaiting_consent = awaiting_consent
        self._client_settings = client_settings
        self.loops = LoopStates(
            partial(
                open_loop_state,
                self._new_client,
                verify=verify,
                max_sessions=max_sessions,
                idle_timeout=idle_timeout,
            )
        )

    def token_rotated(self, old: Credential) -> None:
        """A provider answered a new token: close the old one's sessions and state now."""
        logger.debug("token rotated identity=%s; closing its sessions", old.fingerprint[:12])
        self._tools.invalidate_token(old.fingerprint)
        self._awaiting_consent.discard_token(old.fingerprint)
        self.loops.on_every_loop(lambda state: state.pool.discard_token(old.fingerprint))

    async def list_tools(
        self,
        server: str,
        endpoint: str,
        credential: Credential,
        *,
        refresh: bool,
        retry_limit: float,
    ) -> list[ToolInfo]:
        """The identity's listing: cached, or fetched on its session and cached."""
        key = (endpoint, credential.identity)
        cached = None if refresh else self._tools.get(key)
        if cached is not None:
            return list(cached)

        async def op(entry: PooledSession) -> tuple[ToolInfo, ...]:
            return await list_on_session(entry, server)

        tools = await self.run(
            server, endpoint, credential, op, idempotent=True, retry_limit=retry_limit
        )
        self._tools.put(key, tools, token=credential.fingerprint)
        return list(tools)

    async def call_tool(
        self,
        server: str,
        endpoint: str,
        credential: Credential,
        new_state: Callable[..., CallState],
        *,
        timeout: float,
        known_tool: ToolInfo | None,
        retry_limit: float,
    ) -> ToolResult:
        """One tool call as ``credential``; ``new_state(secrets=)`` gives each attempt's state.

        A session that never listed its tools is seeded with the identity's cached
        listing, or else with ``known_tool``, so it validates the result without
        listing first (a new user's first call costs one request less).
        """

        async def op(entry: PooledSession) -> ToolResult:
            state: CallState = new_state(secrets=(credential.secret,))
            if not entry.tools_listed:
                known = known_tool if getattr(known_tool, "name", None) == state.tool else None
                seed_session(entry, self._tools.get((endpoint, credential.identity)), known)
            return await call_on_session(entry, state, timeout, credential.is_service)

        return await self.run(
            server, endpoint, credential, op, idempotent=False, retry_limit=retry_limit
        )

    async def run(
        self,
        server: str,
        endpoint: str,
        credential: Credential,
        op: Callable[[PooledSession], Awaitable[T]],
        *,
        idempotent: bool,
        retry_limit: float,
    ) -> T:
        """Run ``op`` on the identity's session; replace a lost session once when safe.

        ``idempotent``: running ``op`` twice is harmless (a listing). ``retry_limit`` is
        ``Gateway(retry_rate_limited=)``, the longest ``Retry-After`` waited out here.

        Failures are classified inside the ``except`` blocks but raised after them: the
        underlying exception's frames hold the request headers, so the typed error must
        carry no ``__cause__``, ``__context__`` or traceback leading there (DESIGN §5).
        """
        pool = self.loops.current().pool
        facts: dict[str, Any] = {
            "server": server,
            "service_token": credential.is_service,
            "secrets": (credential.secret,),
            "endpoint": endpoint,
            "addressed_by_path": server not in self._addressing.servers
            and addressed_by_path(self._addressing.base_url),
        }
        for attempt in (1, 2):
            failure: Failure | None = None
            cause: tuple[str, str] = ("", "")
            phase = "connect"
            try:
                async with pool.session(endpoint, server, credential) as entry:
                    try:
                        result = await op(entry)
                    except Exception as exc:
                        phase = "call"
                        failure = classify(exc, phase="call", **facts)
                        cause = cause_of(exc, credential)
                        if failure.session_lost:
                            pool.discard(entry)
                    else:
                        self._after_success(endpoint, credential)
                        return result
            except Exception as exc:  # the session could not be opened
                failure = classify(exc, phase="connect", **facts)
                cause = cause_of(exc, credential)
            assert failure is not None
            wait = retry_wait(
                failure.error,
                retry_limit,
                idempotent=idempotent or phase == "connect",
            )
            if attempt == 1 and wait is not None:
                logger.debug("server=%s asked to retry after %.1f s; waiting once", server, wait)
                await asyncio.sleep(wait)
                continue
            if (
                attempt == 1
                and phase == "call"
                and failure.session_lost
                and (failure.retry_safe or idempotent)
            ):
                logger.debug(
                    "session lost server=%s identity=%s; reconnecting", server, credential.short
                )
                continue
            raise self._report(detached(failure.error, cause), endpoint, credential)
        raise AssertionError("unreachable")  # pragma: no cover

    def _report(self, error: GatewayError, endpoint: str, credential: Credential) -> GatewayError:
        """Log a failure (never the token) and remember pending consent."""
        if isinstance(error, AuthorizationRequired):
            key = (endpoint, credential.identity)
            self._awaiting_consent.add(key, token=credential.fingerprint)
            logger.info(
                "authorization required server=%s for=%s", error.server, sorted(error.server_names)
            )
        else:
            logger.debug(
                "call failed server=%s error=%s cause=%s: %s",
                error.server,
                type(error).__name__,
                error.cause_type,
                error.cause_message,
            )
        return error

    def _after_success(self, endpoint: str, credential: Credential) -> None:
        key = (endpoint, credential.identity)
        if key in self._awaiting_consent:
            # Consent was given: what this user may list has changed.
            self._awaiting_consent.discard(key)
            self._tools.invalidate(key)

    def _new_client(
        self, endpoint: str, credential: Credential, entry: PooledSession
    ) -> Client[Any]:
        """The fastmcp Client of a new session (called on the loop that opens it)."""
        key = (endpoint, credential.identity)
        state = self.loops.current()
        return build_client(
            endpoint,
            entry.server,
            credential,
            shared_http=state.http,
            settings=self._client_settings,
            pending_urls=entry.pending_urls,
            on_tools_changed=lambda: self._tools.invalidate(key),
            on_elicitation_complete=lambda: state.wakers.wake((endpoint, credential.fingerprint)),
        )


def retry_wait(error: GatewayError, limit: float, *, idempotent: bool) -> float | None:
    """Seconds to wait before the one opt-in retry of a rate-limited request, or None.

    ``limit`` is ``Gateway(retry_rate_limited=)``. A 429 means the gateway refused the
    request, so nothing ran; a 503 may come from behind the gateway, so it is retried
    only where running twice is harmless.
    """
    retry_after = getattr(error, "retry_after", None)
    if limit <= 0 or retry_after is None or retry_after > limit:
        return None
    if isinstance(error, RateLimited) or (
        type(error) is GatewayUnavailable and error.status == 503 and idempotent
    ):
        return float(retry_after)
    return None
