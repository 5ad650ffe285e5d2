"""LangChain / LangGraph tools for the MCP gateway.

>>> toolkit = GatewayToolkit(gateway, servers=["mail", "calendar"])
>>> tools = await toolkit.aget_tools()
>>> agent = create_agent(model, tools, context_schema=Context)
>>> await agent.ainvoke({"messages": [...]}, context=Context(user_token=token))

Results have ``langchain.mcp``'s shapes (``content_and_artifact``, artifact
``{"structured_content": ...}``, ``isError`` -> ``status="error"``). When the user must
authorize a downstream service first, the toolkit's :data:`AuthorizationPolicy`
decides what the tool does, and the application is told through the custom event
:data:`AUTHORIZATION_EVENT` and the optional ``authorization_callback``:

- ``"observation"``: a ToolMessage with ``status="success"``, the links and display
  names in its text, and the observation dict as ``artifact``
  (``artifact["type"] == "authorization_required"``);
- ``"raise"``: :class:`~mcp_gateway_tools.AuthorizationRequired` propagates;
- ``"interrupt"``: LangGraph ``interrupt(payload)``; resume with
  ``Command(resume=True)`` once the user has authorized (the tool retries once), or
  ``Command(resume=False)`` if they declined.

Other gateway failures become a ToolMessage with ``status="error"`` and the error's
message; a missing token (:class:`~mcp_gateway_tools.MissingUserToken`) propagates.
"""

from . import _require  # noqa: F401  (first: a missing extra names its pip install)
from ._middleware import GatewayToolsMiddleware
from ._policy import (
    AUTHORIZATION_EVENT,
    AuthorizationCallback,
    AuthorizationOnLoad,
    AuthorizationPolicy,
)
from ._render import GatewayToolError
from ._resume import aresume_when_authorized, authorization_interrupts
from ._tool import GatewayTool
from ._toolkit import GatewayToolkit

__all__ = [
    "AUTHORIZATION_EVENT",
    "AuthorizationCallback",
    "AuthorizationOnLoad",
    "AuthorizationPolicy",
    "GatewayTool",
    "GatewayToolError",
    "GatewayToolkit",
    "GatewayToolsMiddleware",
    "aresume_when_authorized",
    "authorization_interrupts",
]
