"""Waiting until a user's consent works: :meth:`Gateway.wait_for_authorization`.

A paused run (LangGraph ``interrupt``, LlamaIndex ``wait``) used to learn that the user
had consented only when the application said so. The gateway can tell instead: the
grant works once the identity's cheapest request succeeds. The probe is a fresh tool
listing for that identity on its own session (``tools/list`` on an open session; on a
gateway that refuses the connect until consent, that is the ``initialize``), repeated
with bounded exponential backoff. A wake-up (the server's
``notifications/elicitation/complete`` on the identity's session, which the client
reports to the loop's :class:`Wakers`; the notification exists up to protocol
2025-11-25) cuts the current pause short and probes at once.

What ends the wait early, besides success: errors that waiting cannot fix (a rejected
or missing token, access denied, unknown server). Transient failures (gateway down,
rate limited) are waited through. On timeout the last ``AuthorizationRequired`` is
raised. Gateways that ask for consent only on ``tools/call`` (and list freely) cannot
be probed without calling a tool: there the first probe succeeds at once, and the
retried call says whether consent is really done.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from . import _app_oauth
from ._errors import (
    AuthorizationRequired,
    GatewayError,
    GatewayTimeout,
    GatewayUnavailable,
    RateLimited,
)

if TYPE_CHECKING:
    from ._gateway import Gateway
    from ._tokens import TokenInput

__all__ = ["FIRST_DELAY", "MAX_DELAY", "WaitKey", "Wakers", "wait_for_authorization"]

logger = logging.getLogger("mcp_gateway_tools")

FIRST_DELAY = 0.25
"""Seconds before the second probe; doubled after each, up to :data:`MAX_DELAY`."""
MAX_DELAY = 5.0

WaitKey = tuple[str, str]
"""(endpoint, identity fingerprint): whose authorization a wait is for."""


class Wakers:
    """The authorization waits running on one event loop (a Gateway's per-loop state)."""

    def __init__(self) -> None:
        self._events: defaultdict[WaitKey, set[asyncio.Event]] = defaultdict(set)

    def __len__(self) -> int:
        """How many identities are being waited for."""
        return len(self._events)

    def wake(self, key: WaitKey) -> None:
        """Wake every wait for ``key``: they probe now instead of after their backoff."""
        for event in self._events.get(key, ()):
            event.set()

    @contextmanager
    def registered(self, key: WaitKey) -> Iterator[asyncio.Event]:
        """An event that :meth:`wake` sets, for as long as the wait runs."""
        event = asyncio.Event()
        self._events[key].add(event)
        try:
            yield event
        finally:
            self._events[key].discard(event)
            if not self._events[key]:
                del self._events[key]


async def wait_for_authorization(
    gateway: Gateway,
    server: str | None,
    *,
    token: TokenInput | None = None,
    timeout: float | None = 300.0,
    wakers: Wakers,
) -> None:
    """See :meth:`Gateway.wait_for_authorization`; ``wakers`` are the running loop's."""
    name = gateway.server_name(server)
    fingerprint = (
        _app_oauth.wait_fingerprint(gateway, name) or (await gateway.acredential(token)).fingerprint
    )  # MissingUserToken (or MissingAppUser): at once
    deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
    delay = FIRST_DELAY
    last: GatewayError | None = None
    with wakers.registered((gateway.endpoint(name), fingerprint)) as wake:
        while True:
            try:
                # The first probe always runs (bounded by the Gateway's own timeouts),
                # so a timeout of 0 asks once and reports the gateway's answer.
                await _probe(gateway, name, token, None if last is None else deadline)
            except AuthorizationRequired as exc:
                last = exc
            except (GatewayUnavailable, RateLimited) as exc:  # wait through it
                last = exc if not isinstance(last, AuthorizationRequired) else last
                if isinstance(exc, RateLimited) and exc.retry_after:
                    delay = max(delay, min(exc.retry_after, 60.0))
            else:
                return
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise last
            pause = delay if remaining is None else min(delay, remaining)
            try:
                await asyncio.wait_for(wake.wait(), pause)
                logger.debug("authorization wait woken server=%s identity=%s", name, fingerprint)
            except TimeoutError:
                pass
            wake.clear()
            delay = min(delay * 2, MAX_DELAY)


async def _probe(
    gateway: Gateway, server: str, token: TokenInput | None, deadline: float | None
) -> None:
    """One cheapest request for the identity: a fresh listing on its session."""
    if deadline is None:
        await gateway.list_tools(server, token=token, refresh=True)
        return
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise GatewayTimeout(f"Still waiting for authorization of {server!r}.", server=server)
    try:
        async with asyncio.timeout(remaining):
            await gateway.list_tools(server, token=token, refresh=True)
    except TimeoutError:
        raise GatewayTimeout(
            f"Still waiting for authorization of {server!r}.", server=server
        ) from None
