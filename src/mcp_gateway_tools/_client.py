"""How one identity's fastmcp ``Client`` is built, and how a call on it is made.

Each pooled session is a stock fastmcp ``Client`` with three things of ours: the
error-preserving transport over the loop's shared connection pool, a fixed
``Authorization`` header (one open client is one identity), and an elicitation handler
that records URL requests (consent links) instead of trying to answer them.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import httpx2
import mcp_types
from fastmcp import Client
from fastmcp.client.elicitation import ElicitResult
from fastmcp.client.transports import StreamableHttpTransport

from ._content import ToolInfo
from ._tokens import Credential
from ._transport import ErrorPreservingTransport

if TYPE_CHECKING:
    from mcp.shared._httpx_utils import McpHttpClientFactory

__all__ = ["ClientSettings", "build_client", "call_capturing_urls", "seed_output_schemas"]

# Where the URL requests met during one call are collected: set by the caller's task,
# seen by the handler, which the input-required driver runs in that task's context.
_url_sink: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "mcp_gateway_tools_url_sink", default=None
)


class _UrlCaptured(Exception):
    """Raised by the elicitation handler once a URL request has been recorded."""

    def __init__(self) -> None:
        super().__init__("authorization link recorded for the caller")


@dataclass(frozen=True)
class ClientSettings:
    connect_timeout: float
    call_timeout: float
    protocol_mode: str


def build_client(
    endpoint: str,
    credential: Credential,
    *,
    shared_http: httpx2.AsyncBaseTransport,
    settings: ClientSettings,
    pending_urls: list[Any],
    on_tools_changed: Callable[[], None],
) -> Client[Any]:
    """A fastmcp Client for ``credential`` at ``endpoint``.

    ``pending_urls`` receives URL requests a server sends outside any call's context
    (server-initiated elicitation on a legacy session); the next call reports them.
    """
    timeout = httpx2.Timeout(settings.connect_timeout, read=max(300.0, settings.call_timeout + 5))

    def http_client(**kwargs: Any) -> httpx2.AsyncClient:
        kwargs.pop("auth", None)  # the gateway owns OAuth: never let the client start it
        kwargs.pop("timeout", None)
        return httpx2.AsyncClient(
            **kwargs, timeout=timeout, transport=ErrorPreservingTransport(shared_http)
        )

    async def on_elicitation(message: str, response_type: Any, params: Any, context: Any) -> Any:
        if getattr(params, "mode", None) == "url":
            sink = _url_sink.get()
            (sink if sink is not None else pending_urls).append(params)
            # Raising answers the server with an error, which ends a 2026-07-28 input
            # loop at once instead of retrying it until its round limit.
            raise _UrlCaptured()
        return ElicitResult(action="decline")  # form input has no one to answer it here

    async def on_message(message: Any) -> None:
        if isinstance(message, mcp_types.ToolListChangedNotification):
            on_tools_changed()

    from . import __version__  # at call time: the package is fully imported by then

    transport = StreamableHttpTransport(
        endpoint,
        headers={"Authorization": credential.authorization()},
        httpx_client_factory=cast("McpHttpClientFactory", http_client),
    )
    return Client(
        transport,
        timeout=settings.call_timeout,
        init_timeout=settings.connect_timeout,
        mode=settings.protocol_mode,
        elicitation_handler=on_elicitation,
        message_handler=on_message,
        client_info=mcp_types.Implementation(name="mcp-gateway-tools", version=__version__),
    )


async def call_capturing_urls(
    client: Client[Any],
    tool: str,
    arguments: dict[str, Any],
    timeout: float,
    pending_urls: list[Any],
) -> tuple[mcp_types.CallToolResult | None, list[dict[str, Any]]]:
    """Call ``tool``; return its result and any URL requests (consent links) met.

    A result of None means the server asked only for the user to open a link.
    """
    sink: list[Any] = []
    reset = _url_sink.set(sink)
    try:
        result: mcp_types.CallToolResult | None = await client.call_tool_mcp(
            tool, arguments, timeout=timeout
        )
    except Exception:
        if not sink:
            raise
        result = None  # the handler stopped the input loop: the links are the answer
    finally:
        _url_sink.reset(reset)
    sink.extend(pending_urls)
    pending_urls.clear()
    return result, [e.model_dump(by_alias=True) for e in sink]


def seed_output_schemas(client: Client[Any], tools: tuple[ToolInfo, ...]) -> bool:
    """Give a new session the output schemas of tools the caller already knows.

    Those are this identity's cached listing (a reopened session, after eviction or
    idle expiry) or the one tool an adapter is calling from its shared tool list (a new
    user's first call). Without them the MCP client sends a ``tools/list`` before
    validating the first result of every new session. The attribute is the SDK's own
    cache; if a future SDK renames it, we simply fall back to its extra request.
    """
    schemas = getattr(client.session, "_tool_output_schemas", None)
    if not isinstance(schemas, dict):
        return False
    for tool in tools:
        schemas.setdefault(tool.name, tool.output_schema)
    return True
