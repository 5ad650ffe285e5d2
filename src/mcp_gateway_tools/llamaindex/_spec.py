"""``GatewayToolSpec``: the gateway's servers as a LlamaIndex tool spec.

It follows LlamaIndex's ToolSpec conventions (``to_tool_list()`` and
``await to_tool_list_async()``) so it drops in where ``McpToolSpec`` was used. Loading
lists every server concurrently with whatever identity is at hand (an explicit
``token=``, a ``user_token()`` binding, or the service token); the tools it returns
hold no identity and serve every user. A server that needs consent before it can be
listed appears as one ``authorize_<server>`` tool while no identity has listed it;
one failing server never hides the others, and is never dropped silently
(:class:`~mcp_gateway_tools._catalog.ToolCatalog` does that work for both adapters).

For tools that are right for each user *per run* (no user at start-up; a placeholder
replaced by the real tools the moment anyone can list them; each user offered their
own listing), give the agent :meth:`GatewayToolSpec.as_retriever` instead of a fixed
list: ``FunctionAgent(tool_retriever=spec.as_retriever(), llm=llm)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.tools.tool_spec.base import SPEC_FUNCTION_TYPE, BaseToolSpec

from .._catalog import ServerErrorPolicy, ToolCatalog, WrappedTools
from .._engine import ApprovalRule
from .._errors import ConfigurationError, GatewayError
from .._sync import run_sync
from .._tokens import TokenInput
from .._toolset import ToolFilter, ToolSpec
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
    from ._retriever import GatewayToolRetriever

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
        on_server_error: ``"warn"`` (default: a server failing to list for a reason
            other than consent is left out with a
            :class:`~mcp_gateway_tools.ToolLoadWarning`, its typed error kept in
            :attr:`load_errors`) or ``"raise"`` (:class:`~mcp_gateway_tools.ToolLoadError`).
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
        on_server_error: ServerErrorPolicy = "warn",
    ) -> None:
        if not callable(on_authorization_required) and on_authorization_required not in POLICIES:
            raise ConfigurationError(f"on_authorization_required must be one of {POLICIES}")
        if on_server_error not in ("warn", "raise"):
            raise ConfigurationError("on_server_error must be 'warn' or 'raise'")
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
        self._catalog = ToolCatalog(
            gateway,
            self.servers,
            tool_filter=tool_filter,
            name_prefix=name_prefix,
            on_authorization_required=(
                "raise" if on_authorization_required == "raise" else "placeholder"
            ),
            on_server_error=on_server_error,
        )
        self._wrapped: WrappedTools[GatewayTool] = WrappedTools()

    @property
    def load_errors(self) -> dict[str, GatewayError]:
        """Servers failing to list now (other than for consent), with their typed errors."""
        return dict(self._catalog.load_errors)

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
        """The tools to offer the identity at hand, one per gateway tool.

        ``spec_functions`` (tool names) narrows the list, as in other tool specs;
        ``token`` lists as that identity (else ``user_token()``, else the service
        token). Its own listing decides where it is known; a server it cannot list yet
        (no consent) is offered as any identity last listed it, and as an
        ``authorize_<server>`` tool only while nobody has. ``refresh`` re-lists.
        """
        specs = await self._catalog.offer(token, refresh=refresh)
        wanted = {str(f) for f in spec_functions} if spec_functions else None
        return [self._tool(spec) for spec in specs if wanted is None or spec.name in wanted]

    async def afind_tool(self, token: TokenInput | None, name: str) -> GatewayTool | None:
        """The tool ``name`` as this identity was (or would now be) offered it."""
        spec = await self._catalog.find(token, name)
        return self._tool(spec) if spec is not None else None

    def as_retriever(self) -> GatewayToolRetriever:
        """A ``tool_retriever`` for LlamaIndex agents: this spec's tools, per run step,
        for the identity of the running workflow (see :class:`GatewayToolRetriever`)."""
        from ._retriever import GatewayToolRetriever

        return GatewayToolRetriever(self)

    def _tool(self, spec: ToolSpec) -> GatewayTool:
        """One GatewayTool per spec object: every user offered a tool gets the same one."""
        return self._wrapped.get(spec, self._wrap)

    def _wrap(self, spec: ToolSpec) -> GatewayTool:
        return GatewayTool(
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
