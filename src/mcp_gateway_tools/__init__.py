"""LangChain/LangGraph and LlamaIndex tools for an authenticating MCP gateway.

The core (this package) is framework-neutral: :class:`Gateway` resolves whose token a
call carries, keeps one open session per identity, and turns every gateway answer into
a :class:`ToolResult` or a typed error, :class:`AuthorizationRequired` above all.
Adapters live in ``mcp_gateway_tools.langchain`` and ``mcp_gateway_tools.llamaindex``.
"""

from ._addressing import Server
from ._app_user import app_user, bound_app_user
from ._content import (
    AudioBlock,
    ContentAnnotations,
    ContentBlock,
    ImageBlock,
    ResourceBlock,
    ResourceLinkBlock,
    TextBlock,
    ToolInfo,
    ToolResult,
)
from ._elicitation import Progress, ServerLog
from ._errors import (
    AccessDenied,
    ApprovalRequired,
    AuthorizationDenied,
    AuthorizationRequired,
    CallOutcomeUnknown,
    ConfigurationError,
    GatewayClosed,
    GatewayError,
    GatewayTimeout,
    GatewayUnavailable,
    InputRequired,
    InsufficientScope,
    InvalidArguments,
    InvalidAuthorizationState,
    InvalidAuthorizationUrl,
    InvalidToken,
    MissingAppUser,
    MissingUserToken,
    OAuthFlowError,
    OAuthRequired,
    ProtocolError,
    RateLimited,
    ResourceMismatch,
    SessionPoolExhausted,
    TokenRequestFailed,
    ToolCallError,
    ToolLoadError,
    ToolLoadWarning,
    UnknownServer,
)
from ._gateway import Gateway
from ._interactions import (
    Answer,
    ApprovalRequest,
    AuthorizationRequest,
    InputRequest,
    InteractionHandler,
    UserActionRequest,
)
from ._remembered import forget_user_token, recall_user_token, remember_user_token
from ._sync import run_sync
from ._tokens import Credential, bound_user_token, user_token
from ._toolset import ToolFilter, ToolSpec

__version__ = "0.1.0.dev0"

__all__ = [
    "AccessDenied",
    "Answer",
    "ApprovalRequest",
    "ApprovalRequired",
    "AudioBlock",
    "AuthorizationDenied",
    "AuthorizationRequest",
    "AuthorizationRequired",
    "CallOutcomeUnknown",
    "ConfigurationError",
    "ContentAnnotations",
    "ContentBlock",
    "Credential",
    "Gateway",
    "GatewayClosed",
    "GatewayError",
    "GatewayTimeout",
    "GatewayUnavailable",
    "ImageBlock",
    "InputRequest",
    "InputRequired",
    "InsufficientScope",
    "InteractionHandler",
    "InvalidArguments",
    "InvalidAuthorizationState",
    "InvalidAuthorizationUrl",
    "InvalidToken",
    "MissingAppUser",
    "MissingUserToken",
    "OAuthFlowError",
    "OAuthRequired",
    "Progress",
    "ProtocolError",
    "RateLimited",
    "ResourceBlock",
    "ResourceLinkBlock",
    "ResourceMismatch",
    "Server",
    "ServerLog",
    "SessionPoolExhausted",
    "TextBlock",
    "TokenRequestFailed",
    "ToolCallError",
    "ToolFilter",
    "ToolInfo",
    "ToolLoadError",
    "ToolLoadWarning",
    "ToolResult",
    "ToolSpec",
    "UnknownServer",
    "UserActionRequest",
    "__version__",
    "app_user",
    "bound_app_user",
    "bound_user_token",
    "forget_user_token",
    "recall_user_token",
    "remember_user_token",
    "run_sync",
    "user_token",
]
