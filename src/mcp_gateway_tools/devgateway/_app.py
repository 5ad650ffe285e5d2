"""The gateway's front door: routing, inbound auth, access control, consent 401s.

Every request to ``/mcp/<server>/server`` passes these checks *before* fastmcp sees
it, because the answers a gateway owes its clients are plain HTTP (401 with a consent
body, 403, 404, 405, 413, 502, 504) rather than JSON-RPC results. The app is a
Starlette app: routing, the Host check and the body limit (``_middleware``), the
error bodies (exception handlers) and the lifespan of the proxied apps are
Starlette's. A check that fails raises :class:`Refusal` with its answer. Responses
from the proxy are buffered (the proxy runs in JSON-response mode) so that a backend
failure recorded during the call can still turn into a 502/504.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Message, Receive, Scope, Send

from ._auth import Authenticator, AuthError, Principal, listed
from ._consent import ConsentManager, ProviderUnavailableError
from ._middleware import (
    BodyLimitMiddleware,
    LoopbackHostMiddleware,
    Refusal,
    error_body,
    exception_handlers,
    json_error,
    replaying,
)
from ._servers import STATE_KEY, RequestState

__all__ = ["GatewayApp", "Target", "error_body"]

log = logging.getLogger("mcp_gateway_tools.devgateway")


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers=headers)


@dataclass(frozen=True)
class Target:
    """A routable gateway server: a real one or a virtual one."""

    name: str
    display_name: str
    app: Starlette
    users: tuple[str, ...]
    accounts: tuple[str, ...]
    timeout: float
    tool_servers: dict[str, str] | None = None  # virtual: tool name -> backend name

    def allows(self, principal: Principal) -> bool:
        if principal.kind == "account":
            return listed(self.accounts, principal.name)
        return listed(self.users, principal.name, principal.identity)


class _McpEndpoint:
    """The raw-ASGI endpoint of ``/mcp/{server}/server`` (it hands the request on)."""

    def __init__(self, gateway: GatewayApp) -> None:
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.gateway.proxy(scope["path_params"]["server"], scope, receive, send)


class GatewayApp(Starlette):
    """ASGI app of the gateway. Static outbound headers come from ``static_headers``."""

    def __init__(
        self,
        *,
        targets: dict[str, Target],
        static_headers: dict[str, dict[str, str]],
        display_names: dict[str, str],
        authenticator: Authenticator,
        consent: ConsentManager,
        extra_routes: list[BaseRoute],
        max_body_bytes: int,
        style: str = "http-401",
        direct_urls: dict[str, str] | None = None,
    ) -> None:
        self.targets = targets
        self.direct_urls = direct_urls or {}
        self.static_headers = static_headers
        self.display_names = display_names
        self.auth = authenticator
        self.consent = consent
        self.style = style
        # Both in-band styles let users connect and list; only tools/call asks.
        self.elicitation = style in ("url-elicitation", "input-required")
        endpoint = _McpEndpoint(self)
        routes: list[BaseRoute] = [
            Route("/mcp/{server}/server", endpoint, methods=None),
            Route("/mcp/{server}/server/", endpoint, methods=None),
            Route("/mcp/{rest:path}", _not_mcp, methods=None),
            *consent.routes(),
            *extra_routes,
            Route("/healthz", self._health),
        ]
        super().__init__(
            routes=routes,
            middleware=[
                Middleware(LoopbackHostMiddleware),
                Middleware(BodyLimitMiddleware, max_bytes=max_body_bytes),
            ],
            exception_handlers=exception_handlers(),
            lifespan=self._lifespan,
        )
        self.router.redirect_slashes = False

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for target in self.targets.values():
                await stack.enter_async_context(target.app.router.lifespan_context(target.app))
            yield

    async def _health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "servers": sorted(self.targets)})

    # -- the MCP route -----------------------------------------------------------------

    async def proxy(self, name: str, scope: Scope, receive: Receive, send: Send) -> None:
        """Admit the request (or raise its :class:`Refusal`), then hand it to the
        server's proxy app, buffering the answer so a backend failure becomes 502/504."""
        body = await self._admit(name, scope, receive)
        state = scope[STATE_KEY]
        target = self.targets[name]
        sent: list[Message] = []

        replay = replaying(body, receive)

        async def capture(message: Message) -> None:
            sent.append(message)

        try:
            async with asyncio.timeout(target.timeout + 1.0):
                await target.app(scope, replay, capture)
        except TimeoutError:
            state.fail(name, "timeout")
        if state.failure is not None:
            raise Refusal(self._backend_failure(state))
        for message in sent:
            await send(message)

    def _backend_failure(self, state: RequestState) -> Response:
        server = state.failed_server or "?"
        if state.failure == "timeout":
            msg = f"Downstream MCP server {server!r} did not answer in time."
            return _json(504, error_body("GatewayTimeoutError", msg, server=server))
        if state.failure == "down":
            msg = f"Downstream MCP server {server!r} is unreachable."
        else:
            msg = f"Downstream MCP server {server!r} answered with {state.failure}."
        return _json(502, error_body("BadGatewayError", msg, server=server))

    async def _admit(self, name: str, scope: Scope, receive: Receive) -> bytes:
        """All checks before proxying: returns the request body, or raises the
        :class:`Refusal` that answers the request instead."""
        target = self.targets.get(name)
        if target is None:
            msg = f"No MCP server named {name!r}."
            if name in self.direct_urls:
                msg = (
                    f"Server {name!r} is an OAuth-protected MCP server the gateway does not "
                    f"front; connect to {self.direct_urls[name]} and run OAuth there."
                )
            raise Refusal(json_error(404, "NotFoundError", msg))
        method = scope["method"]
        if method != "POST":
            # Stateless JSON mode: no SSE stream to GET, no session to DELETE.
            msg = f"{method} is not allowed on an MCP endpoint; use POST."
            raise Refusal(json_error(405, "MethodNotAllowedError", msg, headers={"Allow": "POST"}))
        principal = await self._authenticate(Headers(scope=scope))
        if not target.allows(principal):
            msg = f"{principal.kind} {principal.name!r} may not use server {name!r}."
            raise Refusal(json_error(403, "PermissionDeniedError", msg))
        body = await _read_body(receive)
        message = _parse_jsonrpc(body)
        outbound = await self._outbound(target, principal, message)
        scope[STATE_KEY] = RequestState(principal=principal, outbound=outbound)
        return body

    async def _authenticate(self, headers: Headers) -> Principal:
        try:
            return await self.auth.authenticate(headers.get("authorization"))
        except AuthError as exc:
            www = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            raise Refusal(json_error(401, exc.kind, exc.message, headers=www)) from None

    async def _outbound(
        self, target: Target, principal: Principal, message: dict[str, Any]
    ) -> dict[str, dict[str, str]]:
        """Per backend, the headers the gateway sends: static ones, plus the user's OAuth
        token where a grant exists; a missing grant the request needs is a Refusal."""
        needed = self._servers_needed(target, message, principal)
        outbound: dict[str, dict[str, str]] = {}
        for server in self._backends_of(target):
            outbound[server] = dict(self.static_headers.get(server, {}))
        for server in sorted(set(self.consent.targets) & set(outbound)):
            if principal.kind == "account":
                if server in needed:
                    raise Refusal(self._service_oauth_denied(server))
                continue
            try:
                grant = await self.consent.grant_for(principal, server)
            except ProviderUnavailableError:
                msg = f"The OAuth provider of server {server!r} is unreachable."
                raise Refusal(json_error(502, "BadGatewayError", msg, server=server)) from None
            if grant is not None:
                outbound[server]["Authorization"] = f"Bearer {grant.access_token}"
            elif server in needed:
                raise Refusal(self._auth_required(principal, server, message))
        return outbound

    def _backends_of(self, target: Target) -> list[str]:
        if target.tool_servers is None:
            return [target.name]
        return sorted(set(target.tool_servers.values()))

    def _servers_needed(
        self, target: Target, message: dict[str, Any] | None, principal: Principal
    ) -> set[str]:
        """Servers whose per-user grant this request cannot do without."""
        is_call = message is not None and message.get("method") == "tools/call"
        if target.tool_servers is None:
            # In URL-elicitation style a user connects and lists freely; only calls ask.
            if self.elicitation and principal.kind == "user" and not is_call:
                return set()
            return {target.name}
        if message is not None and is_call:
            params = message.get("params")
            tool = params.get("name") if isinstance(params, dict) else None
            if isinstance(tool, str) and tool in target.tool_servers:
                return {target.tool_servers[tool]}
        return set()

    def _service_oauth_denied(self, server: str) -> Response:
        msg = (
            f"Server {server!r} uses per-user OAuth; virtual account (service) tokens cannot "
            "hold per-user OAuth grants. Call it with a user's token."
        )
        return _json(403, error_body("PermissionDeniedError", msg, server=server))

    def _auth_required(
        self, principal: Principal, server: str, message: dict[str, Any] | None
    ) -> Response:
        display = self.display_names.get(server, server)
        link = self.consent.authorization_url(principal, server)
        log.info("authorization required for %s on %s", principal.label, server)
        if self.style == "input-required" and message is not None:
            # MCP 2026-07-28 form: the URL request travels inside the tools/call result.
            request = {
                "method": "elicitation/create",
                "params": {
                    "mode": "url",
                    "url": link,
                    "message": f"Authorize {display} to continue, then retry.",
                },
            }
            result = {
                "resultType": "input_required",
                "inputRequests": {f"authorize-{server}": request},
            }
            rpc_result = {"jsonrpc": "2.0", "id": message.get("id"), "result": result}
            return JSONResponse(rpc_result, status_code=200)
        if self.elicitation and message is not None:
            # MCP 2025-11-25 form: JSON-RPC error -32042 carrying URL elicitations.
            elicitation = {
                "mode": "url",
                "elicitationId": secrets.token_hex(8),
                "url": link,
                "message": f"Authorize {display} to continue, then retry.",
            }
            error = {
                "code": -32042,
                "message": f"URL elicitation required: authorize {display}.",
                "data": {"elicitations": [elicitation]},
            }
            rpc = {"jsonrpc": "2.0", "id": message.get("id"), "error": error}
            return JSONResponse(rpc, status_code=200)
        body = {
            "error": {
                "type": "McpAuthRequiredError",
                "message": f"User authorization required for MCP server {server!r}.",
            },
            "message": f"Authorize {display} to continue: open the link, approve, then retry.",
            "authorization_urls": {server: link},
            "server_names": {server: display},
        }
        return _json(401, body)


async def _read_body(receive: Receive) -> bytes:
    """The whole body (the body-limit middleware raises when it is too large)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _not_mcp(request: Request) -> Response:
    return json_error(404, "NotFoundError", "Not an MCP endpoint.")


def _rpc_error(code: int, message: str) -> Response:
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}
    return JSONResponse(body, status_code=400)


def _parse_jsonrpc(body: bytes) -> dict[str, Any]:
    """One JSON-RPC 2.0 object, or a :class:`Refusal` with the JSON-RPC error (400)."""
    try:
        message = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise Refusal(_rpc_error(-32700, "Parse error: the body is not valid JSON.")) from None
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        raise Refusal(_rpc_error(-32600, "Invalid Request: expected one JSON-RPC 2.0 object."))
    is_request = isinstance(message.get("method"), str)
    is_response = "id" in message and ("result" in message or "error" in message)
    if not (is_request or is_response):
        raise Refusal(_rpc_error(-32600, "Invalid Request: no 'method', 'result' or 'error'."))
    if "params" in message and not isinstance(message["params"], dict | list):
        raise Refusal(_rpc_error(-32600, "Invalid Request: 'params' must be an object."))
    return message
