"""Resume a run paused for consent as soon as the consent works, with no "done" button.

Under ``on_authorization_required="interrupt"`` a run stops with an interrupt whose
value is the authorization payload (``type == "authorization_required"``, ``server``,
the links). The application shows the links; instead of waiting for the user to come
back and click "done", it can hand the paused run to :func:`aresume_when_authorized`,
which waits with :meth:`Gateway.wait_for_authorization` as the user and then resumes
the thread with ``Command(resume=True)``::

    result = await agent.ainvoke(inputs, config, context=ctx)
    if "__interrupt__" in result:
        show_links(result["__interrupt__"])
        result = await aresume_when_authorized(agent, result, gateway=gateway,
                                               config=config, context=ctx)

It works in any process that can reach the thread's checkpointer (the pause may have
been written by another one); the resuming request supplies the user's current token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.runnables import ensure_config
from langgraph.types import Command, Interrupt

from .._app_user import app_user_scope
from .._errors import AuthorizationRequired, ConfigurationError
from .._gateway import Gateway
from .._interactions import InteractionHandler, UserActionRequest
from .._tokens import TokenInput
from ._binding import _from_context, app_user_of, resolve_token

__all__ = [
    "aresume_when_authorized",
    "authorization_interrupts",
    "resume_command_when_authorized",
    "wait_for_consent",
]


def authorization_interrupts(paused: Mapping[str, Any] | Sequence[Interrupt]) -> list[Interrupt]:
    """The interrupts of a run's result (or a list of them) that wait for consent."""
    interrupts = paused.get("__interrupt__", ()) if isinstance(paused, Mapping) else paused
    return [
        i
        for i in interrupts
        if isinstance(i, Interrupt)
        and isinstance(i.value, Mapping)
        and i.value.get("type") == "authorization_required"
    ]


async def aresume_when_authorized(
    graph: Any,
    paused: Mapping[str, Any] | Sequence[Interrupt],
    *,
    gateway: Gateway,
    config: Mapping[str, Any],
    context: Any = None,
    token: TokenInput | None = None,
    timeout: float | None = 300.0,
) -> Any:
    """Wait until every consent the run is paused on works, then resume it.

    ``paused`` is the result of the paused ``ainvoke`` (or its interrupts); ``token``
    defaults to the ``user_token`` of ``context``, then ``user_token()``. On timeout
    the last :class:`~mcp_gateway_tools.AuthorizationRequired` propagates and the run
    stays paused (resume it later, or with ``Command(resume=False)`` to decline).
    """
    command = await resume_command_when_authorized(
        paused, gateway=gateway, context=context, token=token, timeout=timeout
    )
    return await graph.ainvoke(command, dict(config), context=context)


async def resume_command_when_authorized(
    paused: Mapping[str, Any] | Sequence[Interrupt],
    *,
    gateway: Gateway,
    context: Any = None,
    token: TokenInput | None = None,
    timeout: float | None = 300.0,
) -> Command[Any]:
    """Wait like :func:`aresume_when_authorized`, then return the resuming ``Command``.

    For an app that streams the resumed run itself (``astream_events``,
    ``astream(stream_mode=...)``) instead of taking ``ainvoke``'s final state::

        command = await resume_command_when_authorized(state.interrupts, gateway=gw,
                                                       context=ctx)
        async for event in agent.astream_events(command, config, context=ctx): ...
    """
    interrupts = authorization_interrupts(paused)
    if not interrupts:
        raise ConfigurationError("the run is not paused on an authorization request")
    if token is None:
        token = _from_context(context)
    with app_user_scope(app_user_of(context)):  # servers whose OAuth the app runs
        for server in dict.fromkeys(str(i.value["server"]) for i in interrupts):
            await gateway.wait_for_authorization(server, token=token, timeout=timeout)
    resume: Any = True if len(interrupts) == 1 else {i.id: True for i in interrupts}
    return Command(resume=resume)


def wait_for_consent(gateway: Gateway, *, timeout: float | None = 300.0) -> InteractionHandler:
    """A policy for ``on_authorization_required=``: the tool waits for the consent itself.

    ``GatewayToolkit(gateway, ..., on_authorization_required=wait_for_consent(gateway))``:
    when a call needs consent the app is told as usual (event, callback), then the tool
    waits (:meth:`Gateway.wait_for_authorization`, as the run's user) and retries once
    the grant works; no pause, no "done" button. On timeout the model gets the links.
    Async agents (``ainvoke``/``astream``); the run stays open while it waits, so use
    ``"interrupt"`` plus :func:`aresume_when_authorized` for long waits.
    """

    async def wait(request: UserActionRequest) -> bool | None:
        if request.kind != "authorization":
            return None
        token = resolve_token(ensure_config())
        try:
            await gateway.wait_for_authorization(request.server, token=token, timeout=timeout)
        except AuthorizationRequired:
            return None  # not answered: the model is shown the links
        return True

    return wait
