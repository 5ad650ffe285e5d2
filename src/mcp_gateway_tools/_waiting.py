"""Waiting until a user's consent works: :meth:`Gateway.wait_for_authorization`.

A paused run (LangGraph ``interrupt``, LlamaIndex ``wait``) used to learn that the user
had consented only when the application said so. The gateway can tell instead: the
grant works once the identity's cheapest request succeeds. The probe is a fresh tool
listing for that identity on its own session (``tools/list`` on an open session; on a
gateway that refuses the connect until consent, that is the ``initialize``), repeated
with bounded exponential backoff. A wake-up (the server's
``notifications/elicitation/complete`` on the identity's session, which the client
reports through :func:`authorization_completed`; the notification exists up to
protocol 2025-11-25) cuts the current pause short and probes at once.

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

__all__ = ["FIRST_DELAY", "MAX_DELAY", "authorization_completed", "wait_for_authorization"]

logger = logging.getLogger("mcp_gateway_tools")

FIRST_DELAY = 0.25
"""Seconds before the second probe; doubled after each, up to :data:`MAX_DELAY`."""
MAX_DELAY = 5.0

WaitKey = tuple[int, str, str]  # (id of the Gateway, endpoint, identity fingerprint)
_wakers: defaultdict[WaitKey, set[asyncio.Event]] = defaultdict(set)


def authorization_completed(gateway: Gateway, server: str, fingerprint: str) -> None:
    """Wake every wait for this identity on ``server`` (e.g. on
    ``notifications/elicitation/complete``): they probe now instead of after backoff.
    Must be called on the loop the waits run on."""
    for event in _wakers.get((id(gateway), gateway.endpoint(server), fingerprint), ()):
        event.set()


async def wait_for_authorization(
    gateway: Gateway,
    server: str | None,
    *,
    token: TokenInput | None = None,
    timeout: float | None = 300.0,
) -> None:
    """See :meth:`Gateway.wait_for_authorization`."""
    name = gateway.server_name(server)
    fingerprint = (
        _app_oauth.wait_fingerprint(gateway, name) or (await gateway.acredential(token)).fingerprint
    )  # MissingUserToken (or MissingAppUser): at once
    key = (id(gateway), gateway.endpoint(name), fingerprint)
    deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
    wake = asyncio.Event()
    _wakers[key].add(wake)
    delay = FIRST_DELAY
    last: GatewayError | None = None
    try:
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
    finally:
        _wakers[key].discard(wake)
        if not _wakers[key]:
            del _wakers[key]


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
