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

Form elicitations (``on_input_required``) and approval of chosen calls (``approval=``,
``on_approval_required``, or :func:`approval_middleware`) follow the same engine; see
``docs/interactions.md``. Progress and server logs arrive as :data:`PROGRESS_EVENT` and
:data:`LOG_EVENT`. Other gateway failures become a ToolMessage with ``status="error"``,
the error's message as content and its ``to_observation()`` as artifact; a missing
token (:class:`~mcp_gateway_tools.MissingUserToken`) propagates.
"""

from . import _require  # noqa: F401  (first: a missing extra names its pip install)
from ._approval import approval_middleware, interrupt_on
from ._middleware import GatewayToolsMiddleware
from ._policy import (
    APPROVAL_EVENT,
    AUTHORIZATION_EVENT,
    INPUT_EVENT,
    LOG_EVENT,
    PROGRESS_EVENT,
    AuthorizationCallback,
    AuthorizationOnLoad,
    AuthorizationPolicy,
    InteractionPolicy,
)
from ._render import GatewayToolError
from ._resume import (
    aresume_when_authorized,
    authorization_interrupts,
    resume_command_when_authorized,
    wait_for_consent,
)
from ._retry import is_retryable, retry_on
from ._tool import GatewayTool
from ._toolkit import GatewayToolkit

__all__ = [
    "APPROVAL_EVENT",
    "AUTHORIZATION_EVENT",
    "INPUT_EVENT",
    "LOG_EVENT",
    "PROGRESS_EVENT",
    "AuthorizationCallback",
    "AuthorizationOnLoad",
    "AuthorizationPolicy",
    "GatewayTool",
    "GatewayToolError",
    "GatewayToolkit",
    "GatewayToolsMiddleware",
    "InteractionPolicy",
    "approval_middleware",
    "aresume_when_authorized",
    "authorization_interrupts",
    "interrupt_on",
    "is_retryable",
    "resume_command_when_authorized",
    "retry_on",
    "wait_for_consent",
]
