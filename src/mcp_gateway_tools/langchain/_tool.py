"""One gateway MCP tool as a LangChain ``BaseTool``.

The tool object holds no identity: which user a call acts for is decided per call
(:mod:`._binding`), so one tool list built at start-up serves every request. A call
validates the model's arguments against the MCP schema, then runs the core engine's
one flow (:func:`mcp_gateway_tools._engine.tool_flow`): approval, the call, and what
the user must do on the way (consent, a form). This module only performs the flow's
steps in LangChain's terms: the gateway call, custom events, ``interrupt()``; and
renders the outcome (:mod:`._render`).

Errors are split by who can act on them: what the model can fix or report (invalid
arguments, a tool's ``isError``, a server down or refusing) becomes a ToolMessage with
``status="error"`` (a gateway error's ``to_observation()`` as its artifact); what only
the developer can fix (no token bound, a misconfigured gateway) propagates.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from langchain_core.messages import ToolMessage
from langchain_core.runnables import RunnableConfig, ensure_config
from langchain_core.tools import BaseTool
from langgraph.errors import GraphInterrupt
from langgraph.types import interrupt
from pydantic import Field, InstanceOf, SkipValidation

from .._app_user import app_user_scope
from .._elicitation import Progress, ServerLog
from .._engine import (
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
    drive,
    tool_flow,
)
from .._errors import ConfigurationError, GatewayError, MissingUserToken
from .._gateway import Gateway
from .._sync import run_sync
from .._tokens import TokenInput
from .._toolset import ToolSpec, check_authorization, validate_arguments
from ._binding import resolve_app_user, resolve_token
from ._events import Emitter
from ._policy import (
    LOG_EVENT,
    PROGRESS_EVENT,
    AuthorizationCallback,
    event_name,
    interrupt_payload,
)
from ._render import (
    Artifact,
    GatewayToolError,
    authorized_output,
    error_message,
    handle_gateway_tool_error,
    note_output,
    to_output,
)
from ._retry import is_retryable

__all__ = ["GatewayTool"]

Output = tuple[Any, Artifact]
_CHECKPOINTER = "__pregel_checkpointer"


class _CallId(str):
    """The tool call id, passed to ``_arun``/``_run`` as the one positional argument."""


class GatewayTool(BaseTool):
    """An MCP tool served by the gateway, callable by any LangChain agent.

    Build them with :class:`~mcp_gateway_tools.langchain.GatewayToolkit`; use
    :meth:`from_spec` only to wrap a spec you loaded yourself. ``args_schema`` is the
    MCP input schema itself (a JSON schema dict), so the model sees it unchanged;
    the token is never part of it.
    """

    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    handle_tool_error: Any = handle_gateway_tool_error

    gateway: InstanceOf[Gateway] = Field(exclude=True)
    """The gateway the calls go through (it holds no user identity either)."""
    spec: Annotated[ToolSpec, SkipValidation()] = Field(exclude=True, repr=False)
    """What to call: server, MCP name and schema, or an ``authorize_<server>`` placeholder."""
    policies: Annotated[Policies, SkipValidation()] = Field(
        default_factory=Policies, exclude=True, repr=False
    )
    """The engine's policies: authorization, input, approval, and the approval rule."""
    authorization_callback: SkipValidation[AuthorizationCallback | None] = Field(
        default=None, exclude=True, repr=False
    )
    retryable_errors: Literal["message", "raise"] = "message"
    """``"raise"``: RateLimited / GatewayUnavailable propagate, for ToolRetryMiddleware."""

    @classmethod
    def from_spec(
        cls,
        gateway: Gateway,
        spec: ToolSpec,
        *,
        policies: Policies | None = None,
        authorization_callback: AuthorizationCallback | None = None,
        retryable_errors: Literal["message", "raise"] = "message",
    ) -> GatewayTool:
        metadata: dict[str, Any] = {"mcp": {"server": {"name": spec.server}}}
        if spec.info is not None:
            tool_meta: dict[str, Any] = {"name": spec.mcp_name}
            if spec.info.annotations:
                tool_meta["annotations"] = dict(spec.info.annotations)
            metadata["mcp"]["tool"] = tool_meta
        else:
            metadata["mcp"]["authorization_placeholder"] = True
        return cls(
            name=spec.name,
            description=spec.description,
            args_schema=_open_objects(spec.input_schema),
            metadata=metadata,
            gateway=gateway,
            spec=spec,
            policies=policies or Policies(),
            authorization_callback=authorization_callback,
            retryable_errors=retryable_errors,
        )

    @property
    def on_authorization_required(self) -> object:
        return self.policies.authorization

    # -- LangChain entry points ------------------------------------------------------

    def _to_args_and_kwargs(
        self, tool_input: str | dict[str, Any], tool_call_id: str | None
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        # The tool call id is what an error ToolMessage (with its artifact) needs.
        args, kwargs = super()._to_args_and_kwargs(tool_input, tool_call_id)
        return (_CallId(tool_call_id),) if tool_call_id else args, kwargs

    async def _arun(self, *args: Any, **arguments: Any) -> Output:
        # LangChain runs this inside the tool run's own config context, so
        # ensure_config() is the child config: its callbacks parent custom events to
        # this tool run, and its configurable holds the graph runtime and context.
        config = ensure_config()
        token = resolve_token(config)
        if (invalid := self._invalid(arguments)) is not None:
            return self._render(Failure(invalid), _call_id(args))
        emitter = Emitter(config, self.authorization_callback)
        context = self._context(arguments, config)
        app_user = resolve_app_user(config)
        del config  # may hold a plain-str token: no frame of ours keeps it (tracebacks)

        async def perform(step: Step) -> Any:
            if isinstance(step, Call):
                return await self._acall(step, token, emitter)
            if isinstance(step, Notify):
                return await emitter.aemit(
                    event_name(step.request), step.request.to_dict(), notify=True
                )
            if isinstance(step, Ask):
                return await ask_app(step.handler, step.request)
            return await self._apause(step, emitter)

        with app_user_scope(app_user):
            outcome = await adrive(tool_flow(context), perform)
        return self._render(outcome, _call_id(args))

    def _run(self, *args: Any, **arguments: Any) -> Output:
        # Sync path: gateway I/O runs on the core's private loop (works inside a running
        # loop, e.g. Jupyter); events, callbacks and interrupt() stay in this thread,
        # where LangChain's and LangGraph's context lives.
        config = ensure_config()
        token = resolve_token(config)
        if (invalid := self._invalid(arguments)) is not None:
            return self._render(Failure(invalid), _call_id(args))
        emitter = Emitter(config, self.authorization_callback)
        context = self._context(arguments, config)
        app_user = resolve_app_user(config)
        del config  # as in _arun

        def perform(step: Step) -> Any:
            if isinstance(step, Call):
                return self._call_sync(step, token, emitter)
            if isinstance(step, Notify):
                return emitter.emit(event_name(step.request), step.request.to_dict(), notify=True)
            if isinstance(step, Ask):
                return run_sync(ask_app(step.handler, step.request))
            return self._pause(step, emitter)

        with app_user_scope(app_user):
            outcome = drive(tool_flow(context), perform)
        return self._render(outcome, _call_id(args))

    # -- the steps -------------------------------------------------------------------

    def _context(self, arguments: dict[str, Any], config: RunnableConfig) -> CallContext:
        configurable = config.get("configurable") or {}
        return CallContext(
            tool=self.name,
            server=self.spec.server,
            mcp_name=self.spec.mcp_name,
            arguments=arguments,
            info=self.spec.info,
            can_pause=configurable.get(_CHECKPOINTER) is not None,
            policies=self.policies,
        )

    def _invalid(self, arguments: dict[str, Any]) -> GatewayError | None:
        """Arguments that fail the schema, checked before approval or any request."""
        if self.spec.is_placeholder:
            return None
        try:
            validate_arguments(self.spec, arguments)
        except GatewayError as exc:
            return exc
        return None

    async def _acall(
        self,
        step: Call,
        token: TokenInput | None,
        emitter: Emitter,
        buffered: list[tuple[str, dict[str, Any]]] | None = None,
    ) -> Any:
        """One gateway call (or consent check); a GatewayError is returned to the flow.

        ``buffered`` collects progress and logs instead of emitting them (sync path).
        """

        async def progress(update: Progress) -> None:
            await publish(PROGRESS_EVENT, update.to_dict())

        async def log(entry: ServerLog) -> None:
            await publish(LOG_EVENT, entry.to_dict())

        async def publish(name: str, payload: dict[str, Any]) -> None:
            if buffered is None:
                await emitter.aemit(name, payload)
            else:
                buffered.append((name, payload))

        try:
            if self.spec.is_placeholder:
                return await self._acheck(token)
            if step.edited:  # the approval changed them: check again
                validate_arguments(self.spec, step.arguments)
            return await self.gateway.call_tool(
                self.spec.server,
                self.spec.mcp_name,
                step.arguments,
                token=token,
                known_tool=self.spec.info,
                on_interaction=step.on_interaction,
                answers=step.answers,
                unanswered_input=step.unanswered_input,
                on_progress=progress,
                on_log=log,
            )
        except (MissingUserToken, ConfigurationError):
            raise
        except GatewayError as exc:
            return exc

    def _call_sync(self, step: Call, token: TokenInput | None, emitter: Emitter) -> Any:
        # Progress and logs of a sync call arrive on the private loop's thread: they are
        # emitted here, in the tool's thread, once the call returns.
        buffered: list[tuple[str, dict[str, Any]]] = []
        outcome = run_sync(self._acall(step, token, emitter, buffered))
        for name, payload in buffered:
            emitter.emit(name, payload)
        return outcome

    async def _acheck(self, token: TokenInput | None) -> Any:
        """What an ``authorize_<server>`` tool does: check whether consent is done."""
        pending = await check_authorization(self.gateway, self.spec.server, token=token)
        if pending is not None:
            return pending
        previous = self.spec.authorization
        display = self.spec.server
        if previous is not None:
            display = previous.display_name or display
        return authorized_output(self.spec.server, display)

    async def _apause(self, step: Pause, emitter: Emitter) -> object:
        try:
            return self._interrupt(step)
        except GraphInterrupt:
            await emitter.aemit(event_name(step.request), step.request.to_dict(), notify=True)
            raise

    def _pause(self, step: Pause, emitter: Emitter) -> object:
        try:
            return self._interrupt(step)
        except GraphInterrupt:
            emitter.emit(event_name(step.request), step.request.to_dict(), notify=True)
            raise

    def _interrupt(self, step: Pause) -> object:
        """Pause the graph run (first pass) or return the resume value (on resume)."""
        try:
            return interrupt(interrupt_payload(step.request))
        except (RuntimeError, KeyError) as exc:
            raise ConfigurationError(
                'An "interrupt" policy needs the tool to run inside a LangGraph graph '
                "compiled with a checkpointer (e.g. create_agent(..., "
                "checkpointer=InMemorySaver())), invoked with a thread_id."
            ) from exc

    # -- the outcome -----------------------------------------------------------------

    def _render(self, outcome: Outcome, call_id: str | None) -> Output:
        if isinstance(outcome, Result):
            if isinstance(outcome.result, tuple):  # a placeholder's "authorized"
                return outcome.result
            return note_output(to_output(outcome.result), outcome.notes, outcome.declined)
        if isinstance(outcome, Observation):
            return outcome.text, outcome.data
        if isinstance(outcome, Raise):
            raise outcome.error
        assert isinstance(outcome, Failure)
        error = outcome.error
        if self.retryable_errors == "raise" and is_retryable(error):
            raise error
        if call_id is None:
            raise GatewayToolError.from_gateway_error(error)
        message = ToolMessage(
            cast("list[str | dict[Any, Any]]", error_message(error)),
            artifact=error.to_observation(),
            tool_call_id=call_id,
            name=self.name,
            status="error",
        )
        return message, None


def _call_id(args: tuple[Any, ...]) -> str | None:
    return next((str(a) for a in args if isinstance(a, _CallId)), None)


def _open_objects(schema: dict[str, Any]) -> dict[str, Any]:
    """Mark property objects without properties as explicitly open, as langchain.mcp does.

    JSON schema already means "any keys" there; some provider converters would close
    such objects when strict, so the openness is spelled out. Nothing else changes.
    """
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return dict(schema)
    opened = dict(properties)
    for name, value in properties.items():
        if not isinstance(value, dict):
            continue
        kind = value.get("type")
        is_object = kind == "object" or (isinstance(kind, list) and "object" in kind)
        if (
            is_object
            and not value.get("properties")
            and "additionalProperties" not in value
            and "unevaluatedProperties" not in value
        ):
            opened[name] = {**value, "additionalProperties": True}
    return {**schema, "properties": opened}
