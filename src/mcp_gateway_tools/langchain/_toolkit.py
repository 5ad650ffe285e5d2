"""GatewayToolkit: the gateway's MCP servers as a list of LangChain tools.

Loading goes through the neutral :mod:`~mcp_gateway_tools._toolset` (the LlamaIndex
adapter shares it), so names, filters, collisions and load-time consent behave the
same in both frameworks; this module only wraps each spec in a :class:`GatewayTool`
and carries the LangChain-side options.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from langchain_core.tools import BaseTool, BaseToolkit
from pydantic import ConfigDict, Field, InstanceOf, SkipValidation

from .._engine import ApprovalRule
from .._gateway import Gateway
from .._sync import run_sync
from .._tokens import TokenInput
from .._toolset import ToolFilter, load_tool_specs
from ._policy import (
    AuthorizationCallback,
    AuthorizationOnLoad,
    AuthorizationPolicy,
    InteractionPolicy,
    check_policy,
    policies,
)
from ._tool import GatewayTool

__all__ = ["GatewayToolkit"]


class GatewayToolkit(BaseToolkit):
    """Tools of one or more gateway MCP servers, for any user.

    Args:
        gateway: the :class:`~mcp_gateway_tools.Gateway`.
        servers: server names (or full server URLs); a virtual server is a name too.
        tool_filter: MCP tool names (or ``"server/name"``) to keep; or
            ``{"allow": [...], "block": [...]}``; or a predicate on
            :class:`~mcp_gateway_tools.ToolInfo`.
        name_prefix: prepended to every tool name (``"<prefix>_<name>"``).
        on_authorization_required: ``"observation"`` (default), ``"raise"`` or
            ``"interrupt"``, or a callable answering it; see ``docs/interactions.md``.
        on_input_required: what a server's form elicitation does: ``"auto"``
            (default: interrupt under a checkpointer, else tell the model and decline),
            ``"interrupt"``, ``"observation"``, ``"decline"``, ``"raise"`` or a callable.
        approval: which calls need a person's approval first (``"destructive"``, tool
            names, a predicate, ``True``); default none. The same rule builds
            ``HumanInTheLoopMiddleware`` (:func:`~mcp_gateway_tools.langchain.interrupt_on`).
        on_approval_required: how approval is asked (as ``on_input_required``).
        authorization_callback: called (sync or async) with the payload of every
            request (consent, form, approval) the user is told of, whatever the policy.
        retryable_errors: ``"message"`` (default) or ``"raise"``, to let
            ``ToolRetryMiddleware(retry_on=retry_on)`` retry 429 and 5xx.
        on_authorization_required_at_load: ``"placeholder"`` (default: a server the
            user must authorize before it can even be listed gives one
            ``authorize_<server>`` tool) or ``"raise"``.

    The tools hold no identity: each call uses the token of the run it belongs to
    (run context ``user_token``, then ``config["configurable"]["user_token"]``, then
    ``mcp_gateway_tools.user_token()``, then the Gateway's service token).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    gateway: InstanceOf[Gateway] = Field(exclude=True)
    servers: list[str]
    tool_filter: SkipValidation[ToolFilter | None] = Field(default=None, exclude=True)
    name_prefix: str | None = None
    on_authorization_required: SkipValidation[AuthorizationPolicy | InteractionPolicy] = (
        "observation"
    )
    on_input_required: SkipValidation[InteractionPolicy] = "auto"
    approval: SkipValidation[ApprovalRule] = Field(default=None, exclude=True)
    on_approval_required: SkipValidation[InteractionPolicy] = "auto"
    authorization_callback: SkipValidation[AuthorizationCallback | None] = Field(
        default=None, exclude=True, repr=False
    )
    on_authorization_required_at_load: AuthorizationOnLoad = "placeholder"
    retryable_errors: Literal["message", "raise"] = "message"

    def __init__(
        self,
        gateway: Gateway,
        servers: Sequence[str] | str | None = None,
        *,
        tool_filter: ToolFilter | None = None,
        name_prefix: str | None = None,
        on_authorization_required: AuthorizationPolicy | InteractionPolicy = "observation",
        on_input_required: InteractionPolicy = "auto",
        approval: ApprovalRule = None,
        on_approval_required: InteractionPolicy = "auto",
        authorization_callback: AuthorizationCallback | None = None,
        on_authorization_required_at_load: AuthorizationOnLoad = "placeholder",
        retryable_errors: Literal["message", "raise"] = "message",
        **kwargs: Any,
    ) -> None:
        check_policy(on_authorization_required, on_authorization_required_at_load)
        policies(on_authorization_required, on_input_required, on_approval_required, approval)
        if servers is None:
            servers = [gateway.server_name(None)]  # the server of a full server URL
        elif isinstance(servers, str):
            servers = [servers]
        fields: dict[str, Any] = {
            "gateway": gateway,
            "servers": [gateway.server_name(s) for s in servers],
            "tool_filter": tool_filter,
            "name_prefix": name_prefix,
            "on_authorization_required": on_authorization_required,
            "on_input_required": on_input_required,
            "approval": approval,
            "on_approval_required": on_approval_required,
            "authorization_callback": authorization_callback,
            "on_authorization_required_at_load": on_authorization_required_at_load,
            "retryable_errors": retryable_errors,
        }
        super().__init__(**fields, **kwargs)

    async def aget_tools(
        self, *, token: TokenInput | None = None, refresh: bool = False
    ) -> list[BaseTool]:
        """List the servers and return their tools (plus ``authorize_<server>`` tools).

        Listing needs an identity: ``token`` if given, else ``user_token()``, else the
        Gateway's service token. The list can then serve every user. ``refresh``
        bypasses the core's listing cache (after a consent, or a server change).
        """
        if refresh:
            for server in self.servers:
                self.gateway.invalidate_tools(server)
        specs = await load_tool_specs(
            self.gateway,
            self.servers,
            tool_filter=self.tool_filter,
            name_prefix=self.name_prefix,
            token=token,
            on_authorization_required=self.on_authorization_required_at_load,
        )
        engine = policies(
            self.on_authorization_required,
            self.on_input_required,
            self.on_approval_required,
            self.approval,
        )
        return [
            GatewayTool.from_spec(
                self.gateway,
                spec,
                policies=engine,
                authorization_callback=self.authorization_callback,
                retryable_errors=self.retryable_errors,
            )
            for spec in specs
        ]

    def get_tools(
        self, *, token: TokenInput | None = None, refresh: bool = False
    ) -> list[BaseTool]:
        """:meth:`aget_tools` for sync code, including inside a running loop (Jupyter)."""
        return run_sync(self.aget_tools(token=token, refresh=refresh))
