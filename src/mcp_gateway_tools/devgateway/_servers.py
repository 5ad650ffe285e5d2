"""Proxy MCP apps for each gateway server and virtual server, built with fastmcp.

Identity safety is the point of this module. fastmcp's ``ProxyProvider`` calls a
client factory for every backend operation; ours builds a *fresh* backend client per
request from the outbound headers the gateway computed for *this* request's caller
(stored in the ASGI scope), so no backend session is ever shared between callers.
Caller headers are never forwarded (``forward_incoming_headers=False``): the
gateway token stops here, the downstream sees only the credential meant for it.
"""

from __future__ import annotations

import functools
import ssl
from dataclasses import dataclass
from typing import Any

import httpx2
from fastmcp import FastMCP
from fastmcp.client.transports import StreamableHttpTransport
from fastmcp.server.dependencies import get_context, get_http_request
from fastmcp.server.providers.proxy import FastMCPProxy, ProxyClient, ProxyProvider
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from starlette.applications import Starlette

from ._auth import Principal

__all__ = ["STATE_KEY", "Backend", "RequestState", "build_proxy_app", "tls_context"]

STATE_KEY = "mcp_gateway_tools.devgateway.request"


@dataclass
class RequestState:
    """Per-request facts shared between the gateway handler and the client factories."""

    principal: Principal
    outbound: dict[str, dict[str, str]]
    failure: str | None = None
    failed_server: str | None = None

    def fail(self, server: str, kind: str) -> None:
        if self.failure is None:
            self.failure, self.failed_server = kind, server


@dataclass(frozen=True)
class Backend:
    """A downstream MCP server the gateway can reach."""

    name: str
    url: str
    timeout: float


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for all backend clients: building one costs ~40 ms per client."""
    return ssl.create_default_context()


class _RecordingTransport(httpx2.AsyncBaseTransport):
    """Records why a backend call failed so the gateway can answer 502/504, not 200."""

    def __init__(self, state: RequestState, server: str) -> None:
        self._inner = httpx2.AsyncHTTPTransport(verify=tls_context())
        self._state = state
        self._server = server

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            response = await self._inner.handle_async_request(request)
        except httpx2.TimeoutException:
            self._state.fail(self._server, "timeout")
            raise
        except httpx2.TransportError:
            self._state.fail(self._server, "down")
            raise
        if request.method == "POST" and response.status_code >= 400:
            self._state.fail(self._server, f"status {response.status_code}")
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def _current_state() -> RequestState:
    state = get_http_request().scope.get(STATE_KEY)
    if not isinstance(state, RequestState):
        raise RuntimeError("dev gateway request state missing")  # a bug, never user input
    return state


def _front_mode() -> str:
    """Speak the front connection's protocol era to the backend (as fastmcp's proxy does)."""
    try:
        rc = get_context().request_context
    except RuntimeError:
        return "auto"
    if rc is None:
        return "auto"
    version = rc.protocol_version
    return version if version in MODERN_PROTOCOL_VERSIONS else "legacy"


def _client_factory(backend: Backend) -> Any:
    def factory() -> ProxyClient[StreamableHttpTransport]:
        state = _current_state()
        outbound = dict(state.outbound.get(backend.name, {}))

        def http_client(
            headers: dict[str, str] | None = None,
            timeout: httpx2.Timeout | None = None,
            auth: httpx2.Auth | None = None,
            **kwargs: Any,
        ) -> httpx2.AsyncClient:
            # Our timeout wins: it is the configured budget for this downstream.
            return httpx2.AsyncClient(
                transport=_RecordingTransport(state, backend.name),
                headers={**(headers or {}), **outbound},
                timeout=httpx2.Timeout(backend.timeout),
                auth=auth,
                follow_redirects=False,
            )

        transport = StreamableHttpTransport(
            backend.url, headers=outbound, httpx_client_factory=http_client
        )
        return ProxyClient(
            transport,
            forward_incoming_headers=False,
            # No MCP-level timeouts: the httpx timeout (the configured budget) fires
            # instead, inside _RecordingTransport, so the gateway can answer 504.
            mode=_front_mode(),
        )

    return factory


def _http_app(server: FastMCP, name: str) -> Starlette:
    return server.http_app(path=f"/mcp/{name}/server", stateless_http=True, json_response=True)


def build_proxy_app(
    name: str,
    display_name: str,
    backends: list[Backend],
    tools: dict[str, list[str]] | None = None,
) -> Starlette:
    """An MCP app proxying one backend, or (``tools`` given) a virtual server.

    ``tools`` maps backend name -> tool names to expose; each backend keeps its own
    client factory, so each tool uses its own server's outbound credentials.
    """
    if tools is None:
        (backend,) = backends
        proxy = FastMCPProxy(
            client_factory=_client_factory(backend),
            name=display_name,
            provider_error_strategy="raise",
        )
        return _http_app(proxy, name)
    virtual: FastMCP = FastMCP(name=display_name)
    for backend in backends:
        provider = ProxyProvider(_client_factory(backend))
        provider.enable(names=set(tools[backend.name]), components={"tool"}, only=True)
        virtual.add_provider(provider)
    return _http_app(virtual, name)
