"""The LlamaIndex tool: one gateway tool, bound at each call to the caller's token.

Why a ``FunctionTool`` subclass: LlamaIndex agents inject the workflow ``Context`` only
into ``FunctionTool``s that declare they need it (``requires_context``), and the
Context is where a request's ``user_token`` lives and where events are written. But
``FunctionTool.acall`` flattens whatever the function returns into a fresh
``ToolOutput`` (``is_error`` lost, ``str()`` of the value shown to the model), so
``call``/``acall`` are replaced wholesale: the tool builds its own ``ToolOutput``.

What to do when the user must act (consent, a form, approval) is decided by the core
engine (:func:`mcp_gateway_tools._engine.tool_flow`), shared with the LangChain
adapter; this module performs its steps with workflow events and
``ctx.wait_for_event``.

The tool object holds no identity. Token per call: the workflow Context store key
``"user_token"``, else :func:`mcp_gateway_tools.user_token`, else the Gateway's
service token; none at all raises :class:`~mcp_gateway_tools.MissingUserToken`.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal

from llama_index.core.base.llms.types import TextBlock as LITextBlock
from llama_index.core.tools import FunctionTool, ToolOutput

from .._app_user import app_user_scope
from .._elicitation import Progress, ServerLog
from .._engine import (
    ApprovalRule,
    Ask,
    Call,
    CallContext,
    Failure,
    Notify,
    Observation,
    Outcome,
    Pause,
    Policies,
    Raise,
    Result,
    Step,
    adrive,
    ask_app,
    normalize_policy,
    tool_flow,
)
from .._errors import ConfigurationError, GatewayError, MissingUserToken
from .._interactions import InteractionHandler
from .._sync import run_sync
from .._tokens import TokenInput
from .._toolset import ToolSpec, check_authorization, validate_arguments
from . import _context
from ._events import (
    ProgressEvent,
    RequestEvent,
    ServerLogEvent,
    answer_event_type,
    answer_value,
    request_event,
)
from ._render import error_output, result_output
from ._schema import GatewayToolMetadata, schema_model

if TYPE_CHECKING:
    from llama_index.core.workflow import Context, Event

    from .._gateway import Gateway

__all__ = [
    "POLICIES",
    "AuthorizationCallback",
    "AuthorizationPolicy",
    "GatewayTool",
    "InteractionPolicy",
]

logger = logging.getLogger("mcp_gateway_tools.llamaindex")

AuthorizationPolicy = Literal["observation", "raise", "wait"]
InteractionPolicy = Literal["auto", "observation", "wait", "raise", "decline"] | InteractionHandler
AuthorizationCallback = Callable[[RequestEvent], Awaitable[None] | None]
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
            retries once (without a running workflow it behaves as ``"observation"``);
            or a callable answering it.
        on_input_required: a server's form elicitation: ``"auto"`` (default: wait for
            an :class:`InputAnswerEvent` in a workflow, else tell the model and
            decline), ``"wait"``, ``"observation"``, ``"decline"``, ``"raise"``, or a
            callable answering it.
        approval: which calls need a person's approval first (see
            ``docs/interactions.md``); ``on_approval_required`` how it is asked.
        callback: told (sync or async) of each request event; a callback that raises
            is logged and ignored.
        wait_timeout: seconds to wait for the app's answer under ``"wait"``.
        call_timeout: seconds a call may take (default: the Gateway's).
        return_direct: LlamaIndex's flag: end the agent turn with this tool's output.
    """

    def __init__(
        self,
        gateway: Gateway,
        spec: ToolSpec,
        *,
        on_authorization_required: AuthorizationPolicy | InteractionPolicy = "observation",
        on_input_required: InteractionPolicy = "auto",
        approval: ApprovalRule = None,
        on_approval_required: InteractionPolicy = "auto",
        callback: AuthorizationCallback | None = None,
        wait_timeout: float | None = 600.0,
        call_timeout: float | None = None,
        return_direct: bool = False,
    ) -> None:
        if not callable(on_authorization_required) and on_authorization_required not in POLICIES:
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
        self._policy = on_authorization_required
        self._policies = Policies(
            authorization=normalize_policy(on_authorization_required, what="policy"),
            input=normalize_policy(on_input_required, what="on_input_required"),
            approval=normalize_policy(on_approval_required, what="on_approval_required"),
            approval_rule=approval,
        )
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
            ctx = _context.step_context()
        token = await _context.context_token(ctx)
        with app_user_scope(await _context.context_app_user(ctx)):
            return await self._run(arguments, ctx, token)

    def call(self, *args: Any, ctx: Context | None = None, **kwargs: Any) -> ToolOutput:
        """Sync call; works in scripts, threads and inside a running (Jupyter) loop.

        The call runs on the package's private loop. A Context given here is read for
        its token only: events and waiting need the async path of a running workflow.
        """
        arguments = self._arguments(args, kwargs)
        token = run_sync(_context.context_token(ctx)) if ctx is not None else None
        user = run_sync(_context.context_app_user(ctx)) if ctx is not None else None
        with app_user_scope(user):  # run_sync carries this context to the private loop
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
        if not self._spec.is_placeholder:
            try:
                validate_arguments(self._spec, arguments)
            except GatewayError as exc:
                return error_output(name, arguments, exc)
        can_wait = _context.in_step(ctx)
        call = _context.call_key(self._spec.server, name, arguments)
        collected: dict[str, object] = {}
        if can_wait:
            assert ctx is not None
            collected = await self._collect(ctx, call)  # the replay of a paused step
        writer = _context.stream_writer(ctx)

        async def perform(step: Step) -> Any:
            if isinstance(step, Call):
                return await self._attempt(step, token, writer)
            if isinstance(step, Notify):
                return await self._notify(request_event(step.request, waiting=False), writer)
            if isinstance(step, Ask):
                return await ask_app(step.handler, step.request)
            assert ctx is not None
            return await self._wait(step, ctx, call, collected, writer)

        context = CallContext(
            tool=name,
            server=self._spec.server,
            mcp_name=self._spec.mcp_name,
            arguments=arguments,
            info=self._spec.info,
            can_pause=can_wait,
            policies=self._policies,
            pause_falls_back=True,
        )
        outcome = await adrive(tool_flow(context), perform)
        return self._render(outcome, arguments)

    async def _collect(self, ctx: Context, call: str) -> dict[str, object]:
        """Answers to the pauses this call made before the step was replayed."""
        answers: dict[str, object] = {}
        for rid in await _context.pending_for(ctx, call):
            answers[rid] = await self._answer(ctx, call, rid, waiter=None)
        return answers

    async def _answer(
        self, ctx: Context, call: str, rid: str, waiter: RequestEvent | None
    ) -> object:
        """Wait for the app's answer to ``rid`` (pausing the step on a first pass)."""
        answer: Event | None
        try:
            answer = await ctx.wait_for_event(
                answer_event_type(rid),
                waiter_event=waiter,
                requirements={"request_id": rid},
                timeout=self._wait_timeout,
            )
        except TimeoutError:
            answer = None
            logger.info("wait timed out tool=%s request=%s", self._spec.name, rid)
        await _context.take_pending(ctx, call, rid)
        return answer_value(answer)

    async def _wait(
        self,
        step: Pause,
        ctx: Context,
        call: str,
        collected: dict[str, object],
        writer: Callable[[Event], None] | None,
    ) -> object:
        rid = step.request.request_id
        if rid in collected:
            return collected.pop(rid)
        event = request_event(step.request, waiting=True)
        await self._notify(event, None)  # wait_for_event writes the waiter to the stream
        await _context.mark_pending(ctx, call, rid)
        return await self._answer(ctx, call, rid, waiter=event)

    async def _attempt(
        self, step: Call, token: TokenInput | None, writer: Callable[[Event], None] | None
    ) -> Any:
        """One gateway call; a GatewayError goes back to the engine, the rest renders."""
        name = self._spec.name

        def progress(update: Progress) -> None:
            if writer is not None:
                writer(ProgressEvent.of(update))

        def log(entry: ServerLog) -> None:
            if writer is not None:
                writer(ServerLogEvent.of(entry))

        try:
            if self._spec.is_placeholder:
                pending = await check_authorization(self._gateway, self._spec.server, token=token)
                if pending is not None:
                    return pending
                return ToolOutput(
                    tool_name=name,
                    content=(
                        f"Access to {self._spec.server} is authorized. Its tools are offered "
                        "from the next step on (with a tool retriever; a fixed tool list "
                        "gets them when the application reloads it)."
                    ),
                    raw_input={"args": (), "kwargs": dict(step.arguments)},
                    raw_output={"type": "authorized", "server": self._spec.server},
                )
            if step.edited:  # the approval changed them: check again
                validate_arguments(self._spec, step.arguments)
            return await self._gateway.call_tool(
                self._spec.server,
                self._spec.mcp_name,
                step.arguments,
                token=token,
                timeout=self._call_timeout,
                known_tool=self._spec.info,
                on_interaction=step.on_interaction,
                answers=step.answers,
                unanswered_input=step.unanswered_input,
                on_progress=progress,
                on_log=log,
            )
        except (MissingUserToken, ConfigurationError):
            raise
        except GatewayError as exc:
            logger.debug("tool=%s failed: %s", name, type(exc).__name__)
            return exc

    def _render(self, outcome: Outcome, arguments: dict[str, Any]) -> ToolOutput:
        name = self._spec.name
        raw_input = {"args": (), "kwargs": dict(arguments)}
        if isinstance(outcome, Result):
            if isinstance(outcome.result, ToolOutput):  # a placeholder's "authorized"
                return outcome.result
            output = result_output(name, arguments, outcome.result)
            if outcome.notes:
                notes = [LITextBlock(text=note) for note in outcome.notes]
                output.blocks = notes + list(output.blocks)
            return output
        if isinstance(outcome, Observation):
            return ToolOutput(
                tool_name=name,
                content=outcome.text,
                raw_input=raw_input,
                raw_output=outcome.data,
                is_error=False,
            )
        if isinstance(outcome, Raise):
            raise outcome.error
        assert isinstance(outcome, Failure)
        return error_output(name, arguments, outcome.error)

    async def _notify(self, event: RequestEvent, writer: Callable[[Event], None] | None) -> None:
        """Write the event and tell the app's callback; its failure never fails the tool."""
        if writer is not None:
            writer(event)
        if self._callback is None:
            return
        try:
            outcome = self._callback(event)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:
            logger.exception("authorization callback failed tool=%s", self._spec.name)
