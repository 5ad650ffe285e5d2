"""``GatewayToolSpec``: the gateway's servers as a LlamaIndex tool spec.

It follows LlamaIndex's ToolSpec conventions (``to_tool_list()`` and
``await to_tool_list_async()``) so it drops in where ``McpToolSpec`` was used. Loading
lists every server concurrently with whatever identity is at hand (an explicit
``token=``, a ``user_token()`` binding, or the service token); the tools it returns
hold no identity and serve every user. A server that needs consent before it can be
listed appears as one ``authorize_<server>`` tool; one failing server never hides the
others (``mcp_gateway_tools._toolset`` does that work for both adapters).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.tools.tool_spec.base import SPEC_FUNCTION_TYPE, BaseToolSpec

from .._engine import ApprovalRule
from .._errors import ConfigurationError
from .._sync import run_sync
from .._tokens import TokenInput
from .._toolset import ToolFilter, load_tool_specs
from ._tool import (
    POLICIES,
    AuthorizationCallback,
    AuthorizationPolicy,
    GatewayTool,
    InteractionPolicy,
)

if TYPE_CHECKING:
    from llama_index.core.tools import ToolMetadata

    from .._gateway import Gateway

__all__ = ["GatewayToolSpec"]


class GatewayToolSpec(BaseToolSpec):
    """Tools of one or more gateway servers, for LlamaIndex agents and workflows.

    Args:
        gateway: the :class:`~mcp_gateway_tools.Gateway`.
        servers: server names (or full server URLs); default: the Gateway's own server.
        tool_filter: names to keep (``"tool"`` or ``"server/tool"``),
            ``{"allow": [...], "block": [...]}``, or a predicate on ``ToolInfo``.
        name_prefix: prefix every tool name (``"<prefix>_<name>"``).
        on_authorization_required: ``"observation"`` | ``"raise"`` | ``"wait"`` (or a
            callable), see :class:`GatewayTool`. ``"raise"`` also makes loading raise
            instead of yielding ``authorize_<server>`` tools.
        on_input_required, approval, on_approval_required: see :class:`GatewayTool`
            and ``docs/interactions.md``.
        callback: told of each request event (consent, form, approval).
        wait_timeout: seconds a ``"wait"`` tool waits for the app's answer.
        call_timeout: seconds a tool call may take (default: the Gateway's).
        return_direct: tool names whose output ends the agent's turn.
    """

    spec_functions: list[SPEC_FUNCTION_TYPE] = []  # noqa: RUF012 - BaseToolSpec's API

    def __init__(
        self,
        gateway: Gateway,
        servers: Sequence[str] | None = None,
        *,
        tool_filter: ToolFilter | None = None,
        name_prefix: str | None = None,
        on_authorization_required: AuthorizationPolicy | InteractionPolicy = "observation",
        on_input_required: InteractionPolicy = "auto",
        approval: ApprovalRule = None,
        on_approval_required: InteractionPolicy = "auto",
        callback: AuthorizationCallback | None = None,
        wait_timeout: float | None = 600.0,
        call_timeout: float | None = None,
        return_direct: Sequence[str] = (),
    ) -> None:
        if not callable(on_authorization_required) and on_authorization_required not in POLICIES:
            raise ConfigurationError(f"on_authorization_required must be one of {POLICIES}")
        if isinstance(servers, str):
            servers = [servers]
        if servers is None:
            servers = [gateway.server_name(None)]
        self.gateway = gateway
        self.servers = [gateway.server_name(s) for s in servers]
        self.tool_filter = tool_filter
        self.name_prefix = name_prefix
        self.on_authorization_required = on_authorization_required
        self.on_input_required = on_input_required
        self.approval = approval
        self.on_approval_required = on_approval_required
        self.callback = callback
        self.wait_timeout = wait_timeout
        self.call_timeout = call_timeout
        self.return_direct = frozenset(return_direct)

    def __repr__(self) -> str:
        return f"GatewayToolSpec({self.gateway!r}, servers={self.servers!r})"

    async def to_tool_list_async(  # type: ignore[override]
        self,
        spec_functions: list[SPEC_FUNCTION_TYPE] | None = None,
        func_to_metadata_mapping: dict[str, ToolMetadata] | None = None,
        *,
        token: TokenInput | None = None,
        refresh: bool = False,
    ) -> list[GatewayTool]:
        """List the servers and build one tool per gateway tool.

        ``spec_functions`` (tool names) narrows the list, as in other tool specs;
        ``token`` lists as that identity (else ``user_token()``, else the service
        token). ``refresh`` bypasses the Gateway's per-identity listing cache.
        """
        if refresh:  # re-list now; failures are reported by the load below
            await asyncio.gather(
                *(self.gateway.list_tools(s, token=token, refresh=True) for s in self.servers),
                return_exceptions=True,
            )
        specs = await load_tool_specs(
            self.gateway,
            self.servers,
            tool_filter=self.tool_filter,
            name_prefix=self.name_prefix,
            token=token,
            on_authorization_required=(
                "raise" if self.on_authorization_required == "raise" else "placeholder"
            ),
        )
        wanted = {str(f) for f in spec_functions} if spec_functions else None
        return [
            GatewayTool(
                self.gateway,
                spec,
                on_authorization_required=self.on_authorization_required,
                on_input_required=self.on_input_required,
                approval=self.approval,
                on_approval_required=self.on_approval_required,
                callback=self.callback,
                wait_timeout=self.wait_timeout,
                call_timeout=self.call_timeout,
                return_direct=spec.name in self.return_direct,
            )
            for spec in specs
            if wanted is None or spec.name in wanted
        ]

    def to_tool_list(  # type: ignore[override]
        self,
        spec_functions: list[SPEC_FUNCTION_TYPE] | None = None,
        func_to_metadata_mapping: dict[str, ToolMetadata] | None = None,
        *,
        token: TokenInput | None = None,
        refresh: bool = False,
    ) -> list[GatewayTool]:
        """:meth:`to_tool_list_async` for sync code, including inside a running loop."""
        return run_sync(
            self.to_tool_list_async(
                spec_functions, func_to_metadata_mapping, token=token, refresh=refresh
            )
        )

    def get_metadata_from_fn_name(self, fn_name: str, spec_functions: Any = None) -> None:
        """Not used: tools come from the gateway, not from methods of this class."""
