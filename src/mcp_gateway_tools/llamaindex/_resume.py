"""Answer a waiting workflow as soon as the user's consent works (no "done" button).

Under ``on_authorization_required="wait"`` a tool writes an
:class:`AuthorizationRequiredEvent` (``waiting=True``) and pauses until the app sends
an :class:`AuthorizationCompletedEvent` with the same ``request_id``. Instead of
waiting for the user to click "done", the app can hand the event to
:func:`complete_when_authorized`: it waits with :meth:`Gateway.wait_for_authorization`
as the user, then sends the answer::

    async for ev in handler.stream_events():
        if isinstance(ev, AuthorizationRequiredEvent) and ev.waiting:
            show_links(ev.authorization_urls)
            asyncio.create_task(complete_when_authorized(handler.ctx, ev, gateway=gw))

The same works after a restore in another process (``Context.from_dict``): keep the
event (it holds no token) with the serialised Context, and call this on the new run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._app_user import app_user_scope
from .._errors import AuthorizationRequired
from . import _context
from ._events import AuthorizationCompletedEvent, AuthorizationRequiredEvent

if TYPE_CHECKING:
    from llama_index.core.workflow import Context

    from .._gateway import Gateway
    from .._interactions import InteractionHandler, UserActionRequest
    from .._tokens import TokenInput

__all__ = ["complete_when_authorized", "wait_for_consent"]


async def complete_when_authorized(
    ctx: Context,
    event: AuthorizationRequiredEvent,
    *,
    gateway: Gateway,
    token: TokenInput | None = None,
    timeout: float | None = 300.0,
) -> None:
    """Wait until ``event``'s consent works for the user, then answer the waiting tool.

    ``token`` defaults to the Context's ``"user_token"`` (a token reference resolves
    to the token bound for it here), then ``user_token()``. On timeout the last
    :class:`~mcp_gateway_tools.AuthorizationRequired` propagates and nothing is sent
    (the tool's own ``wait_timeout`` then ends its wait).
    """
    if token is None:
        token = await _context.context_token(ctx)
    with app_user_scope(await _context.context_app_user(ctx)):  # app-run OAuth servers
        await gateway.wait_for_authorization(event.server, token=token, timeout=timeout)
    ctx.send_event(AuthorizationCompletedEvent(request_id=event.request_id))


def wait_for_consent(gateway: Gateway, *, timeout: float | None = 300.0) -> InteractionHandler:
    """A policy for ``on_authorization_required=``: the tool waits for the consent itself.

    ``GatewayToolSpec(gateway, ..., on_authorization_required=wait_for_consent(gateway))``:
    the app is told as usual, then the tool waits (as the Context's user) and retries
    once the grant works; on timeout the model gets the links. The run stays open while
    it waits: for long waits use ``"wait"`` plus :func:`complete_when_authorized`.
    """

    async def wait(request: UserActionRequest) -> bool | None:
        if request.kind != "authorization":
            return None
        token = await _context.context_token(_context.step_context())
        # (the tool call already bound the Context's app_user for app-run OAuth servers)
        try:
            await gateway.wait_for_authorization(request.server, token=token, timeout=timeout)
        except AuthorizationRequired:
            return None
        return True

    return wait
