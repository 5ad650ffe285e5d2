"""``GatewayToolsMiddleware``: the gateway tools offered per request, for ``create_agent``.

A tool list fixed when the agent is built is the list of whoever loaded it (or
nothing, when no user exists at start-up). This middleware asks the toolkit at every
model call which tools to offer the request's identity (see
:class:`~mcp_gateway_tools._catalog.ToolCatalog`), swaps them into the model request,
and gives the ToolNode the very tool the model was offered when it calls one — so the
real tools replace an ``authorize_<server>`` placeholder in a running process, the
moment any identity can list that server::

    agent = create_agent(
        model,
        tools=[],  # other tools may go here; the gateway's come per request
        middleware=[GatewayToolsMiddleware(toolkit)],
        context_schema=Context,
    )

The identity is the same one the tools use: run context ``user_token``, then
``configurable["user_token"]``, then ``user_token()``, then the service token. Other
tools in ``create_agent(tools=...)`` are kept; gateway tools of the same toolkits
given there are replaced by the request's own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from langchain.agents.middleware import AgentMiddleware, AgentState, ModelRequest
from langchain.agents.middleware.types import ModelCallResult, ModelResponse
from langchain_core.messages import ToolMessage
from langchain_core.runnables import ensure_config
from langchain_core.tools import BaseTool
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command

from .._errors import ConfigurationError
from .._sync import run_sync
from .._tokens import TokenInput
from ._binding import resolve_token
from ._tool import GatewayTool
from ._toolkit import GatewayToolkit

__all__ = ["GatewayToolsMiddleware"]

ToolHandlerResult = ToolMessage | Command[Any]


class GatewayToolsMiddleware(AgentMiddleware[AgentState[Any], Any, Any]):
    """Offer each request the gateway tools right for its user (``create_agent`` only).

    Args:
        toolkits: one or more :class:`GatewayToolkit` (their servers are listed
            concurrently per toolkit; each identity's listing is cached by the Gateway).

    Nothing is listed at start-up. At each model call the request's identity is
    resolved and offered, per server: its own listing where the gateway lists the
    server for it; else the tools as any identity last listed them (calling one before
    consenting returns the consent observation); else ``authorize_<server>``.
    """

    def __init__(self, *toolkits: GatewayToolkit) -> None:
        super().__init__()
        if not toolkits or not all(isinstance(t, GatewayToolkit) for t in toolkits):
            raise ConfigurationError("GatewayToolsMiddleware needs one or more GatewayToolkits")
        self.toolkits = toolkits
        self.tools: list[BaseTool] = []  # nothing registered up front: all per request

    # -- model calls --------------------------------------------------------------------

    async def _aoffer(self, token: TokenInput | None) -> list[GatewayTool]:
        offered: list[GatewayTool] = []
        for toolkit in self.toolkits:
            offered.extend(await toolkit.atools_for(token))
        return offered

    def _with_tools(self, request: ModelRequest[Any], offered: list[GatewayTool]) -> Any:
        kept = [t for t in request.tools if not any(k.owns(t) for k in self.toolkits)]
        return request.override(tools=[*kept, *offered])

    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
    ) -> ModelCallResult[Any]:
        offered = await self._aoffer(resolve_token(ensure_config()))
        return await handler(self._with_tools(request, offered))

    def wrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], ModelResponse[Any]],
    ) -> ModelCallResult[Any]:
        offered = run_sync(self._aoffer(resolve_token(ensure_config())))
        return handler(self._with_tools(request, offered))

    # -- tool calls ---------------------------------------------------------------------

    async def _afind(self, request: ToolCallRequest) -> ToolCallRequest:
        """Point the ToolNode at the tool this identity was offered under that name."""
        if request.tool is not None and not any(k.owns(request.tool) for k in self.toolkits):
            return request  # someone else's tool: not ours to resolve
        token = resolve_token(ensure_config())
        name = request.tool_call["name"]
        for toolkit in self.toolkits:
            tool = await toolkit.afind_tool(token, name)
            if tool is not None:
                return request.override(tool=tool)
        return request

    async def awrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], Awaitable[ToolHandlerResult]],
    ) -> ToolHandlerResult:
        return await handler(await self._afind(request))

    def wrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], ToolHandlerResult],
    ) -> ToolHandlerResult:
        return handler(run_sync(self._afind(request)))
