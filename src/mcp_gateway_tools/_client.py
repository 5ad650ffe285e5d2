"""How one identity's fastmcp ``Client`` is built, and how a call on it is made.

Each pooled session is a stock fastmcp ``Client`` with things of ours: the
error-preserving transport over the loop's shared connection pool, a fixed
``Authorization`` header (one open client is one identity), an elicitation handler
that hands every request to the running call's :class:`~._elicitation.CallState`
(never answering a form for the user), a log handler writing server log lines to the
``mcp_gateway_tools.server`` logger (fastmcp's default would print them), and a
message handler that notes completed URL elicitations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import httpx2
import mcp_types
from fastmcp import Client
from fastmcp.client.elicitation import ElicitResult
from fastmcp.client.transports import StreamableHttpTransport

from . import _auth
from ._content import ToolInfo, ToolResult, to_tool_info, to_tool_result
from ._elicitation import CallState, Completed, StopCall, current_call, enter_call, leave_call
from ._elicitation import log_server_message as _log
from ._failures import redacted_result
from ._sessions import PooledSession
from ._tokens import Credential
from ._transport import ErrorPreservingTransport

if TYPE_CHECKING:
    from mcp.shared._httpx_utils import McpHttpClientFactory

__all__ = [
    "ClientSettings",
    "build_client",
    "call_on_session",
    "list_on_session",
    "seed_output_schemas",
    "seed_session",
]


@dataclass(frozen=True)
class ClientSettings:
    connect_timeout: float
    call_timeout: float
    protocol_mode: str


def build_client(
    endpoint: str,
    server: str,
    credential: Credential,
    *,
    shared_http: httpx2.AsyncBaseTransport,
    settings: ClientSettings,
    pending_urls: list[Any],
    on_tools_changed: Callable[[], None],
    on_elicitation_complete: Callable[[], None],
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

    completed = Completed()
    active: list[CallState] = []  # calls in flight on this session (see _owner)

    def _owner() -> CallState | None:
        # The input-required driver runs the handler in the calling task's context; a
        # legacy server's mid-call request arrives on the session's own task instead,
        # where the only call in flight is the one it belongs to.
        return current_call() or (active[0] if len(active) == 1 else None)

    async def on_elicitation(message: str, response_type: Any, params: Any, context: Any) -> Any:
        call = _owner()
        if call is not None:
            # Raising (StopCall) answers the server with an error, which ends a
            # 2026-07-28 input loop at once instead of retrying it to its round limit.
            return await call.answer(params, completed.ids)
        if getattr(params, "mode", None) == "url":
            pending_urls.append(params)  # outside any call: the next call reports it
            raise StopCall()
        return ElicitResult(action="decline")  # a form outside any call: no one to ask

    async def on_message(message: Any) -> None:
        if isinstance(message, mcp_types.ToolListChangedNotification):
            on_tools_changed()
        elif isinstance(message, mcp_types.ElicitCompleteNotification):
            completed.add(message.params.elicitation_id)
            on_elicitation_complete()  # a wait for this identity's consent probes now

    async def on_log(params: Any) -> None:
        await _log(server, params, _owner())

    from . import __version__  # at call time: the package is fully imported by then

    transport = StreamableHttpTransport(
        endpoint,
        headers=credential.request_headers(),
        httpx_client_factory=cast("McpHttpClientFactory", http_client),
    )
    client: Client[Any] = Client(
        transport,
        timeout=settings.call_timeout,
        init_timeout=settings.connect_timeout,
        mode=settings.protocol_mode,
        elicitation_handler=on_elicitation,
        message_handler=on_message,
        log_handler=on_log,
        client_info=mcp_types.Implementation(name="mcp-gateway-tools", version=__version__),
    )
    client._mcp_gateway_tools_active = active  # type: ignore[attr-defined]
    return client


async def list_on_session(entry: PooledSession, server: str) -> tuple[ToolInfo, ...]:
    """The server's tools as the session's identity sees them."""
    assert entry.client is not None
    tools = tuple(to_tool_info(server, t) for t in await entry.client.list_tools())
    entry.tools_listed = True
    return tools


async def call_on_session(
    entry: PooledSession, state: CallState, timeout: float, service_token: bool
) -> ToolResult:
    """Call ``state.tool`` with ``state`` answering what the server asks on the way.

    Raises AuthorizationRequired (links to open, or a gateway's consent text as the
    result) or InputRequired (a form) when the call was stopped for the user to act;
    otherwise returns the server's result with the call's token redacted from it.
    """
    assert entry.client is not None
    active: list[CallState] = getattr(entry.client, "_mcp_gateway_tools_active", [])
    reset = enter_call(state)
    active.append(state)
    raw: mcp_types.CallToolResult | None
    try:
        raw = await entry.client.call_tool_mcp(
            state.tool, state.arguments, timeout=timeout, progress_handler=state.progress
        )
    except Exception:
        if not state.stopped:
            raise
        raw = None  # the handler stopped the input loop: the request is the answer
    finally:
        active.remove(state)
        leave_call(reset)
    state.stopped_urls.extend(entry.pending_urls)
    entry.pending_urls.clear()
    error = state.stop_error()
    if error is not None:
        raise error
    assert raw is not None
    consent = _auth.from_tool_result(
        raw,
        server=state.server,
        service_token=service_token,
        origin=entry.key[0],
        secrets=state.secrets,
    )
    if consent is not None:
        raise consent
    return to_tool_result(redacted_result(raw, state.secrets))


def seed_session(
    entry: PooledSession, listing: tuple[ToolInfo, ...] | None, known: ToolInfo | None
) -> None:
    """Seed a session that never listed its tools from what the caller knows already."""
    assert entry.client is not None
    if listing is not None:
        entry.tools_listed = seed_output_schemas(entry.client, listing)
    elif known is not None:
        seed_output_schemas(entry.client, (known,))


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
