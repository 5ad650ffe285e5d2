"""The HTTP endpoints of the ``mcp-oauth`` authorization server.

The MCP SDK's (through fastmcp's ``OAuthProvider.get_routes``), with two replaced: the
RFC 8414 metadata also lists public clients (``none``: the SDK's client authentication
accepts them, its metadata leaves them out), and RFC 7009 revocation accepts public and
``client_secret_basic`` clients (the SDK's revocation request model requires a
``client_secret`` form field, so it refuses both with 400).
"""

from __future__ import annotations

from functools import partial

from fastmcp.server.auth.auth import AccessToken
from mcp.server.auth.handlers.metadata import MetadataHandler
from mcp.server.auth.middleware.client_auth import AuthenticationError, ClientAuthenticator
from mcp.server.auth.provider import RefreshToken
from mcp.server.auth.routes import build_metadata, cors_middleware
from mcp.server.auth.settings import RevocationOptions
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ._authserver import DevAuthorizationServer

__all__ = ["authorization_server_routes"]


def authorization_server_routes(server: DevAuthorizationServer) -> list[Route]:
    """The server's endpoints: the SDK's, with metadata and revocation replaced."""
    assert server.base_url is not None
    assert server.client_registration_options is not None
    metadata = build_metadata(
        server.base_url, None, server.client_registration_options, RevocationOptions(enabled=True)
    )
    metadata.token_endpoint_auth_methods_supported = [
        "client_secret_post",
        "client_secret_basic",
        "none",
    ]
    handler = cors_middleware(MetadataHandler(metadata).handle, ["GET", "OPTIONS"])
    well_known = Route(
        "/.well-known/oauth-authorization-server", handler, methods=["GET", "OPTIONS"]
    )
    revoke = Route("/revoke", partial(_revoke, server), methods=["POST"])
    replaced = (well_known.path, revoke.path)
    kept = [r for r in server.get_routes(None) if getattr(r, "path", "") not in replaced]
    return [well_known, revoke, *kept]


async def _revoke(server: DevAuthorizationServer, request: Request) -> Response:
    """RFC 7009: an authenticated client revokes one of its tokens (200 either way)."""
    try:
        client = await ClientAuthenticator(server).authenticate_request(request)
    except AuthenticationError as exc:
        body = {"error": "invalid_client", "error_description": exc.message}
        return JSONResponse(body, status_code=401, headers={"Cache-Control": "no-store"})
    token = (await request.form()).get("token")
    if not isinstance(token, str) or not token:
        body = {"error": "invalid_request", "error_description": "'token' is required"}
        return JSONResponse(body, status_code=400, headers={"Cache-Control": "no-store"})
    found: AccessToken | RefreshToken | None = await server.load_access_token(token)
    if found is None:
        found = await server.load_refresh_token(client, token)
    if found is not None and found.client_id == client.client_id:
        await server.revoke_token(found)
    return Response(status_code=200, headers={"Cache-Control": "no-store"})
