"""One gateway MCP tool as a LangChain ``BaseTool``.

The tool object holds no identity: which user a call acts for is decided per call
(:mod:`._binding`), so one tool list built at start-up serves every request. A call
validates the model's arguments against the MCP schema, calls the gateway through the
core, and renders the outcome (:mod:`._render`). "Authorization required" goes through
the toolkit's policy (:mod:`._policy`) after the application is told (:mod:`._events`).

Errors are split by who can act on them: what the model can fix or report (invalid
arguments, a tool's ``isError``, a server down or refusing) becomes a ToolMessage with
``status="error"``; what only the developer can fix (no token bound, a misconfigured
gateway) propagates.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from langchain_core.runnables import RunnableConfig, ensure_config
from langchain_core.tools import BaseTool
from langgraph.errors import GraphInterrupt
from langgraph.types import interrupt
from pydantic import Field, InstanceOf, SkipValidation

from .._errors import AuthorizationRequired, ConfigurationError, GatewayError, MissingUserToken
from .._gateway import Gateway
from .._sync import run_sync
from .._tokens import TokenInput
from .._toolset import ToolSpec, check_authorization, validate_arguments
from ._binding import resolve_token
from ._events import anotify, notify
from ._policy import (
    AuthorizationCallback,
    AuthorizationPolicy,
    authorization_payload,
    declined,
)
from ._render import (
    Artifact,
    GatewayToolError,
    authorization_output,
    authorized_output,
    handle_gateway_tool_error,
    to_output,
)

__all__ = ["GatewayTool"]

Output = tuple[Any, Artifact]


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
    on_authorization_required: AuthorizationPolicy = "observation"
    authorization_callback: SkipValidation[AuthorizationCallback | None] = Field(
        default=None, exclude=True, repr=False
    )

    @classmethod
    def from_spec(
        cls,
        gateway: Gateway,
        spec: ToolSpec,
        *,
        on_authorization_required: AuthorizationPolicy = "observation",
        authorization_callback: AuthorizationCallback | None = None,
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
            on_authorization_required=on_authorization_required,
            authorization_callback=authorization_callback,
        )

    # -- LangChain entry points ------------------------------------------------------

    async def _arun(self, *args: Any, **arguments: Any) -> Output:
        # LangChain runs this inside the tool run's own config context, so
        # ensure_config() is the child config: its callbacks parent custom events to
        # this tool run, and its configurable holds the graph runtime and context.
        config = ensure_config()
        token = resolve_token(config)
        if self.spec.is_placeholder:
            return await self._aflow(config, lambda: self._acheck(token))
        self._validate(arguments)
        return await self._aflow(config, lambda: self._acall(arguments, token))

    def _run(self, *args: Any, **arguments: Any) -> Output:
        # Sync path: gateway I/O runs on the core's private loop (works inside a running
        # loop, e.g. Jupyter); events, callbacks and interrupt() stay in this thread,
        # where LangChain's and LangGraph's context lives.
        config = ensure_config()
        token = resolve_token(config)
        if self.spec.is_placeholder:
            return self._flow(config, lambda: run_sync(self._acheck(token)))
        self._validate(arguments)
        return self._flow(config, lambda: run_sync(self._acall(arguments, token)))

    # -- one attempt -----------------------------------------------------------------

    def _validate(self, arguments: dict[str, Any]) -> None:
        try:
            validate_arguments(self.spec, arguments)
        except GatewayError as exc:
            raise GatewayToolError.from_gateway_error(exc) from None

    async def _acall(self, arguments: dict[str, Any], token: TokenInput | None) -> Output:
        """Call the tool once; AuthorizationRequired propagates to the policy."""
        try:
            result = await self.gateway.call_tool(
                self.spec.server,
                self.spec.mcp_name,
                arguments,
                token=token,
                known_tool=self.spec.info,
            )
        except (AuthorizationRequired, MissingUserToken, ConfigurationError):
            raise
        except GatewayError as exc:
            raise GatewayToolError.from_gateway_error(exc) from None
        return to_output(result)

    async def _acheck(self, token: TokenInput | None) -> Output:
        """What an ``authorize_<server>`` tool does: check whether consent is done."""
        try:
            pending = await check_authorization(self.gateway, self.spec.server, token=token)
        except (MissingUserToken, ConfigurationError):
            raise
        except GatewayError as exc:
            raise GatewayToolError.from_gateway_error(exc) from None
        if pending is not None:
            raise pending
        previous = self.spec.authorization
        display = self.spec.server
        if previous is not None:
            display = previous.display_name or display
        return authorized_output(self.spec.server, display)

    # -- the policy ------------------------------------------------------------------

    async def _aflow(
        self, config: RunnableConfig, attempt: Callable[[], Awaitable[Output]]
    ) -> Output:
        """Run ``attempt`` under the toolkit's authorization policy (async tools).

        Under ``"interrupt"``, LangGraph reruns the tool from the start on resume: the
        first attempt then succeeds if the user has consented meanwhile; otherwise
        ``interrupt()`` returns the resume value and the call is retried exactly once.
        The application is notified once per pause (just before it) and once per
        observation returned, never for a retry that succeeds.
        """
        try:
            return await attempt()
        except AuthorizationRequired as exc:
            first = exc
        payload = self._payload(first)
        if self.on_authorization_required != "interrupt":
            await anotify(config, payload, self.authorization_callback)
            if self.on_authorization_required == "raise":
                raise first
            return authorization_output(first)
        try:
            resume = self._interrupt(payload)
        except GraphInterrupt:
            await anotify(config, payload, self.authorization_callback)
            raise
        if declined(resume):
            return _declined_output(first)
        try:
            return await attempt()
        except AuthorizationRequired as again:
            await anotify(config, self._payload(again), self.authorization_callback)
            return authorization_output(again)

    def _flow(self, config: RunnableConfig, attempt: Callable[[], Output]) -> Output:
        """:meth:`_aflow` for sync tools; keep the two in step."""
        try:
            return attempt()
        except AuthorizationRequired as exc:
            first = exc
        payload = self._payload(first)
        if self.on_authorization_required != "interrupt":
            notify(config, payload, self.authorization_callback)
            if self.on_authorization_required == "raise":
                raise first
            return authorization_output(first)
        try:
            resume = self._interrupt(payload)
        except GraphInterrupt:
            notify(config, payload, self.authorization_callback)
            raise
        if declined(resume):
            return _declined_output(first)
        try:
            return attempt()
        except AuthorizationRequired as again:
            notify(config, self._payload(again), self.authorization_callback)
            return authorization_output(again)

    def _payload(self, error: AuthorizationRequired) -> dict[str, Any]:
        return authorization_payload(error, tool=self.name, server=self.spec.server)

    def _interrupt(self, payload: dict[str, Any]) -> object:
        """Pause the graph run (first pass) or return the resume value (on resume)."""
        try:
            return interrupt(payload)
        except (RuntimeError, KeyError) as exc:
            raise ConfigurationError(
                'on_authorization_required="interrupt" needs the tool to run inside a '
                "LangGraph graph compiled with a checkpointer (e.g. create_agent(..., "
                "checkpointer=InMemorySaver())), invoked with a thread_id."
            ) from exc


def _declined_output(error: AuthorizationRequired) -> Output:
    text = (
        f"The user chose not to authorize {error.display_name} now. Do not call this tool "
        "again unless the user asks; they can authorize later with these links:\n"
        + "\n".join(f"- {name}: {url}" for name, url in error.links())
    )
    return text, error.to_observation()


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
