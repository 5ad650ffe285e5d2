"""The LlamaIndex tool: one gateway tool, bound at each call to the caller's token.

Why a ``FunctionTool`` subclass: LlamaIndex agents inject the workflow ``Context`` only
into ``FunctionTool``s that declare they need it (``requires_context``), and the
Context is where a request's ``user_token`` lives and where events are written. But
``FunctionTool.acall`` flattens whatever the function returns into a fresh
``ToolOutput`` (``is_error`` lost, ``str()`` of the value shown to the model), so
``call``/``acall`` are replaced wholesale: the tool builds its own ``ToolOutput``.

The tool object holds no identity. Token per call: the workflow Context store key
``"user_token"``, else :func:`mcp_gateway_tools.user_token`, else the Gateway's
service token; none at all raises :class:`~mcp_gateway_tools.MissingUserToken`.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal

from llama_index.core.tools import FunctionTool, ToolOutput

from .._errors import (
    AuthorizationRequired,
    ConfigurationError,
    GatewayError,
    MissingUserToken,
)
from .._sync import run_sync
from .._tokens import TokenInput
from .._toolset import ToolSpec, check_authorization, validate_arguments
from . import _flow
from ._events import AuthorizationCompletedEvent, AuthorizationRequiredEvent
from ._render import authorization_output, declined_output, error_output, result_output
from ._schema import GatewayToolMetadata, schema_model

if TYPE_CHECKING:
    from llama_index.core.workflow import Context

    from .._gateway import Gateway

__all__ = ["POLICIES", "AuthorizationCallback", "AuthorizationPolicy", "GatewayTool"]

logger = logging.getLogger("mcp_gateway_tools.llamaindex")

AuthorizationPolicy = Literal["observation", "raise", "wait"]
AuthorizationCallback = Callable[[AuthorizationRequiredEvent], Awaitable[None] | None]
POLICIES = ("observation", "raise", "wait")


class GatewayTool(FunctionTool):
    """A gateway MCP tool as a LlamaIndex tool (also an ``authorize_<server>`` placeholder).

    Args:
        gateway: the :class:`~mcp_gateway_tools.Gateway` calls go through.
        spec: what to expose (from ``mcp_gateway_tools._toolset``).
        on_authorization_required: ``"observation"`` (default) returns the consent
            links to the model; ``"raise"`` raises
            :class:`~mcp_gateway_tools.AuthorizationRequired`; ``"wait"`` pauses the
            workflow until the app sends :class:`AuthorizationCompletedEvent`, then
            retries once (without a running workflow it behaves as ``"observation"``).
        callback: called (sync or async) with each :class:`AuthorizationRequiredEvent`.
        wait_timeout: seconds to wait for the app's answer under ``"wait"``.
        call_timeout: seconds a call may take (default: the Gateway's).
        return_direct: LlamaIndex's flag: end the agent turn with this tool's output.
    """

    def __init__(
        self,
        gateway: Gateway,
        spec: ToolSpec,
        *,
        on_authorization_required: AuthorizationPolicy = "observation",
        callback: AuthorizationCallback | None = None,
        wait_timeout: float | None = 600.0,
        call_timeout: float | None = None,
        return_direct: bool = False,
    ) -> None:
        if on_authorization_required not in POLICIES:
            raise ConfigurationError(f"on_authorization_required must be one of {POLICIES}")
        metadata = GatewayToolMetadata(
            name=spec.name,
            description=spec.description,
            fn_schema=schema_model(spec.name, spec.input_schema),
            return_direct=return_direct,
            input_schema=spec.input_schema,
        )
        super().__init__(fn=self._sync_entry, async_fn=self._async_entry, metadata=metadata)
        # The agent passes the workflow Context as ``ctx`` to tools that ask for it.
        self.requires_context = True
        self.ctx_param_name = "ctx"
        self._gateway = gateway
        self._spec = spec
        self._policy: AuthorizationPolicy = on_authorization_required
        self._callback = callback
        self._wait_timeout = wait_timeout
        self._call_timeout = call_timeout

    def __repr__(self) -> str:
        return f"GatewayTool(name={self._spec.name!r}, server={self._spec.server!r})"

    @property
    def spec(self) -> ToolSpec:
        return self._spec

    @property
    def server(self) -> str:
        return self._spec.server

    @property
    def is_placeholder(self) -> bool:
        """True for an ``authorize_<server>`` tool standing in for a server's tools."""
        return self._spec.is_placeholder

    # -- entry points ------------------------------------------------------------------

    def _sync_entry(self, ctx: Context | None = None, **kwargs: Any) -> ToolOutput:
        return self.call(ctx=ctx, **kwargs)

    async def _async_entry(self, ctx: Context | None = None, **kwargs: Any) -> ToolOutput:
        return await self.acall(ctx=ctx, **kwargs)

    async def acall(self, *args: Any, ctx: Context | None = None, **kwargs: Any) -> ToolOutput:
        """Call the tool; ``ctx`` is the workflow Context the agent injects."""
        arguments = self._arguments(args, kwargs)
        if ctx is None:  # called by hand inside a workflow step: use that step's Context
            ctx = _flow.step_context()
        token = await _flow.context_token(ctx)
        return await self._run(arguments, ctx, token)

    def call(self, *args: Any, ctx: Context | None = None, **kwargs: Any) -> ToolOutput:
        """Sync call; works in scripts, threads and inside a running (Jupyter) loop.

        The call runs on the package's private loop. A Context given here is read for
        its token only: events and waiting need the async path of a running workflow.
        """
        arguments = self._arguments(args, kwargs)
        token = run_sync(_flow.context_token(ctx)) if ctx is not None else None
        return run_sync(self._run(arguments, None, token))

    def _arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        arguments = {**self.partial_params, **kwargs}
        if not args:
            return arguments
        if len(args) == 1 and isinstance(args[0], dict) and not kwargs:
            return dict(args[0])
        properties = list(self._spec.input_schema.get("properties") or {})
        if len(args) == 1 and len(properties) == 1:
            return {properties[0]: args[0], **arguments}
        raise TypeError(f"{self._spec.name} takes keyword arguments only")

    # -- one call ----------------------------------------------------------------------

    async def _run(
        self, arguments: dict[str, Any], ctx: Context | None, token: TokenInput | None
    ) -> ToolOutput:
        name = self._spec.name
        waits = self._policy == "wait" and _flow.in_step(ctx)
        request_id = _flow.request_id_for(name, arguments)
        if waits:
            assert ctx is not None
            if await _flow.is_pending(ctx, request_id):
                return await self._after_wait(arguments, ctx, token, request_id)
        try:
            return await self._attempt(arguments, token)
        except AuthorizationRequired as exc:
            if not waits:
                return await self._authorization(exc, arguments, ctx, request_id)
            assert ctx is not None
            event = self._event(exc, request_id, waiting=True)
            await self._notify(event)
            await _flow.mark_pending(ctx, request_id)
            # Pauses the step (the runtime replays it when the answer arrives).
            answer = await ctx.wait_for_event(
                AuthorizationCompletedEvent,
                waiter_event=event,
                requirements={"request_id": request_id},
                timeout=self._wait_timeout,
            )
            await _flow.take_pending(ctx, request_id)  # a runtime that awaits in place
            return await self._retry(arguments, ctx, token, request_id, answer)

    async def _after_wait(
        self, arguments: dict[str, Any], ctx: Context, token: TokenInput | None, rid: str
    ) -> ToolOutput:
        """The replay of a step that paused: collect the app's answer, retry once."""
        answer: AuthorizationCompletedEvent | None
        try:
            answer = await ctx.wait_for_event(
                AuthorizationCompletedEvent,
                requirements={"request_id": rid},
                timeout=self._wait_timeout,
            )
        except TimeoutError:
            answer = None
            logger.info("authorization wait timed out tool=%s", self._spec.name)
        await _flow.take_pending(ctx, rid)
        return await self._retry(arguments, ctx, token, rid, answer)

    async def _retry(
        self,
        arguments: dict[str, Any],
        ctx: Context,
        token: TokenInput | None,
        rid: str,
        answer: AuthorizationCompletedEvent | None,
    ) -> ToolOutput:
        if answer is not None and not answer.approved:
            return declined_output(self._spec.name, arguments, rid)
        try:
            return await self._attempt(arguments, token)
        except AuthorizationRequired as exc:
            # Still not authorized (or the wait timed out): tell the model, stop waiting.
            event = self._event(exc, rid, waiting=False)
            _flow.write_event(ctx, event)
            await self._notify(event)
            return authorization_output(self._spec.name, arguments, exc)

    async def _attempt(self, arguments: dict[str, Any], token: TokenInput | None) -> ToolOutput:
        """One gateway call; AuthorizationRequired and MissingUserToken escape, the rest render."""
        name = self._spec.name
        try:
            if self._spec.is_placeholder:
                pending = await check_authorization(self._gateway, self._spec.server, token=token)
                if pending is not None:
                    raise pending
                return ToolOutput(
                    tool_name=name,
                    content=(
                        f"Access to {self._spec.server} is authorized. Its tools become "
                        "available when the application reloads its tool list."
                    ),
                    raw_input={"args": (), "kwargs": dict(arguments)},
                    raw_output={"type": "authorized", "server": self._spec.server},
                )
            validate_arguments(self._spec, arguments)
            result = await self._gateway.call_tool(
                self._spec.server,
                self._spec.mcp_name,
                arguments,
                token=token,
                timeout=self._call_timeout,
                known_tool=self._spec.info,
            )
        except (AuthorizationRequired, MissingUserToken, ConfigurationError):
            raise
        except GatewayError as exc:
            logger.debug("tool=%s failed: %s", name, type(exc).__name__)
            return error_output(name, arguments, exc)
        return result_output(name, arguments, result)

    async def _authorization(
        self,
        exc: AuthorizationRequired,
        arguments: dict[str, Any],
        ctx: Context | None,
        request_id: str,
    ) -> ToolOutput:
        """Policies ``observation`` and ``raise`` (and ``wait`` outside a workflow)."""
        event = self._event(exc, request_id, waiting=False)
        _flow.write_event(ctx, event)
        await self._notify(event)
        if self._policy == "raise":
            raise exc
        return authorization_output(self._spec.name, arguments, exc)

    def _event(
        self, exc: AuthorizationRequired, request_id: str, *, waiting: bool
    ) -> AuthorizationRequiredEvent:
        return AuthorizationRequiredEvent.from_error(
            exc,
            request_id=request_id,
            tool_name=self._spec.name,
            server=self._spec.server,
            waiting=waiting,
        )

    async def _notify(self, event: AuthorizationRequiredEvent) -> None:
        """Run the app's callback; its failure must not turn into a tool failure."""
        if self._callback is None:
            return
        try:
            outcome = self._callback(event)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:
            logger.exception("authorization callback failed tool=%s", self._spec.name)
