"""An OAuth-protected sample MCP server: the resource-server half of ``mcp-oauth``.

The MCP SDK's pieces do the standard parts: ``BearerAuthBackend`` accepts only a live
token issued for this resource (RFC 8707 audience), fastmcp's ``RequireAuthMiddleware``
answers 401 with ``WWW-Authenticate: Bearer resource_metadata=..., scope=...`` and
``create_protected_resource_routes`` serves the RFC 9728 metadata. What is ours is the
step-up check: a ``tools/call`` of a tool whose scope the token lacks is answered HTTP
403 ``insufficient_scope`` naming the scopes to ask for, before the tool runs.
"""

from __future__ import annotations

import json
from typing import Any

from fastmcp.server.auth.middleware import RequireAuthMiddleware
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser, BearerAuthBackend
from mcp.server.auth.routes import build_resource_metadata_url, create_protected_resource_routes
from pydantic import AnyHttpUrl
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._authserver import DevAuthorizationServer, ProtectedResource

__all__ = ["metadata_routes", "metadata_url", "protect"]

_MAX_BODY = 1_048_576


def _url(value: str) -> AnyHttpUrl:
    return AnyHttpUrl(value)


def metadata_url(resource: ProtectedResource) -> str:
    return str(build_resource_metadata_url(_url(resource.url)))


def metadata_routes(resource: ProtectedResource, issuer: str) -> list[Route]:
    """RFC 9728 protected-resource metadata at ``/.well-known/oauth-protected-resource/<path>``."""
    return create_protected_resource_routes(
        resource_url=_url(resource.url),
        authorization_servers=[_url(issuer)],
        scopes_supported=list(resource.scopes_supported),
        resource_name=resource.display_name,
    )


class _StepUp:
    """403 ``insufficient_scope`` for a tool call the token's scopes do not cover."""

    def __init__(self, app: ASGIApp, tool_scopes: dict[str, str], metadata: str) -> None:
        self.app = app
        self.tool_scopes = tool_scopes
        self.metadata = metadata

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not self.tool_scopes:
            await self.app(scope, receive, send)
            return
        body, more = await _read(receive)
        if len(body) > _MAX_BODY:
            await _too_large(send)
            return
        needed = self._needed(body, scope.get("user"))
        if needed is not None:
            await _insufficient(send, needed, self.metadata)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": more}

        await self.app(scope, replay, send)

    def _needed(self, body: bytes, user: Any) -> list[str] | None:
        """Scopes to ask for (granted + missing), or None when the call may proceed."""
        try:
            message = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            return None  # the MCP server answers the parse error itself
        if not isinstance(message, dict) or message.get("method") != "tools/call":
            return None
        params = message.get("params")
        tool = params.get("name") if isinstance(params, dict) else None
        required = self.tool_scopes.get(tool) if isinstance(tool, str) else None
        if required is None or not isinstance(user, AuthenticatedUser):
            return None
        granted = list(user.scopes)
        if required in granted:
            return None
        return [*granted, required]


async def _read(receive: Receive) -> tuple[bytes, bool]:
    """The request body, read up to just over ``_MAX_BODY`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), False
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if not message.get("more_body", False) or size > _MAX_BODY:
            return b"".join(chunks), False


async def _too_large(send: Send) -> None:
    body = b'{"error": "request body too large"}'
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"35")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _insufficient(send: Send, scopes: list[str], metadata: str) -> None:
    description = f"This tool needs scope {scopes[-1]}."
    www = (
        f'Bearer error="insufficient_scope", scope="{" ".join(scopes)}", '
        f'resource_metadata="{metadata}", error_description="{description}"'
    )
    body = json.dumps({"error": "insufficient_scope", "error_description": description}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", www.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def protect(
    app: ASGIApp,
    resource: ProtectedResource,
    server: DevAuthorizationServer,
    tool_scopes: dict[str, str],
) -> ASGIApp:
    """``app`` (the sample's MCP endpoint) behind bearer auth for ``resource``."""
    metadata = metadata_url(resource)
    guarded = _StepUp(app, tool_scopes, metadata)
    required = RequireAuthMiddleware(
        guarded,
        required_scopes=[],
        resource_metadata_url=_url(metadata),
        challenge_scopes=list(resource.scopes),
    )
    backend = BearerAuthBackend(server, resource_server_url=_url(resource.url))
    return AuthenticationMiddleware(required, backend=backend)
