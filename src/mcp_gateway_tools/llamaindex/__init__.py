"""LlamaIndex tools for an authenticating MCP gateway.

>>> spec = GatewayToolSpec(gateway, servers=["mail", "calendar"])
>>> tools = await spec.to_tool_list_async()
>>> agent = FunctionAgent(tools=tools, llm=llm)

Tools hold no identity: each call uses the workflow Context's ``"user_token"`` (a
token, or a :class:`TokenReference` that durable workflows persist instead), else
the ``mcp_gateway_tools.user_token()`` binding, else the Gateway's service token. When
the user must authorize a downstream service, the tool returns the consent links to
the model, writes an :class:`AuthorizationRequiredEvent` to the workflow stream, and,
with ``on_authorization_required="wait"``, waits for the app's
:class:`AuthorizationCompletedEvent` before retrying once. Form elicitations
(:class:`InputRequiredEvent` / :class:`InputAnswerEvent`) and approvals
(:class:`ApprovalRequiredEvent` / :class:`ApprovalAnswerEvent`) follow the same engine
(``docs/interactions.md``); progress and server logs arrive as :class:`ProgressEvent`
and :class:`ServerLogEvent`.
"""

from . import _require  # noqa: F401  (first: a missing extra names its pip install)
from ._context import TOKEN_KEY
from ._events import (
    ApprovalAnswerEvent,
    ApprovalRequiredEvent,
    AuthorizationCompletedEvent,
    AuthorizationRequiredEvent,
    InputAnswerEvent,
    InputRequiredEvent,
    ProgressEvent,
    ServerLogEvent,
)
from ._resume import complete_when_authorized, wait_for_consent
from ._retriever import GatewayToolRetriever
from ._schema import GatewayToolMetadata
from ._spec import GatewayToolSpec
from ._tokenref import TokenReference, bind_token_reference
from ._tool import AuthorizationCallback, AuthorizationPolicy, GatewayTool, InteractionPolicy

__all__ = [
    "TOKEN_KEY",
    "ApprovalAnswerEvent",
    "ApprovalRequiredEvent",
    "AuthorizationCallback",
    "AuthorizationCompletedEvent",
    "AuthorizationPolicy",
    "AuthorizationRequiredEvent",
    "GatewayTool",
    "GatewayToolMetadata",
    "GatewayToolRetriever",
    "GatewayToolSpec",
    "InputAnswerEvent",
    "InputRequiredEvent",
    "InteractionPolicy",
    "ProgressEvent",
    "ServerLogEvent",
    "TokenReference",
    "bind_token_reference",
    "complete_when_authorized",
    "wait_for_consent",
]
