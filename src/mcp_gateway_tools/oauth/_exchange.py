"""Talking to an authorization server: registration, the link, tokens, revocation.

Clients are obtained in the order MCP 2025-11-25 gives: pre-registered, then a client
ID metadata document (when the server advertises support), then dynamic registration.
Token requests authenticate as the client record says (``client_secret_basic``,
``client_secret_post`` or ``none``), and name the resource (RFC 8707). Error answers
become typed errors carrying the OAuth ``error`` code and a sanitized description;
response bodies, codes, verifiers and tokens never reach a message.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Awaitable
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import httpx2
from mcp.client.auth.oauth2 import PKCEParameters
from mcp.client.auth.utils import should_use_client_metadata_url
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import BaseModel, ValidationError

from .._errors import GatewayUnavailable, OAuthFlowError, TokenRequestFailed
from .._untrusted import sanitize
from ._config import OAuth, OAuthClient
from ._discovery import Discovered
from ._records import ClientRecord

__all__ = [
    "PKCEParameters",
    "authorization_link",
    "guarded",
    "obtain_client",
    "revoke",
    "token_request",
]


M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def _parse(model: type[M], content: bytes) -> M | None:
    """``content`` as ``model``, or None; the validation error (which quotes the input,
    tokens included) is dropped here and never chained to what the caller raises."""
    try:
        return model.model_validate_json(content)
    except ValidationError:
        return None


def _pick_method(found: Discovered, has_secret: bool) -> str:
    supported = found.metadata.token_endpoint_auth_methods_supported or []
    if not has_secret:
        return "none"
    if "client_secret_basic" in supported or not supported:
        return "client_secret_basic"
    if "client_secret_post" in supported:
        return "client_secret_post"
    return "client_secret_basic"


async def obtain_client(
    http: httpx2.AsyncClient, found: Discovered, oauth: OAuth, app: OAuthClient, server: str
) -> ClientRecord:
    """The client to be at this authorization server (nothing is stored here)."""
    if oauth.client_id is not None:
        method = oauth.token_endpoint_auth_method or _pick_method(found, bool(oauth.client_secret))
        return ClientRecord(oauth.client_id, method, oauth.client_secret, "pre-registered")
    if should_use_client_metadata_url(found.metadata, app.client_metadata_url):
        assert app.client_metadata_url is not None
        return ClientRecord(app.client_metadata_url, "none", None, "metadata-document")
    endpoint = found.metadata.registration_endpoint
    if endpoint is None:
        raise OAuthFlowError(
            f"{server!r}: its authorization server offers no dynamic registration and no "
            "client ID metadata documents; give OAuth(client_id=...) for it.",
            error="registration_not_supported",
            server=server,
        )
    supported = found.metadata.token_endpoint_auth_methods_supported or []
    method = "none" if "none" in supported or not supported else supported[0]
    # Registered for every scope the resource offers, so a later step-up stays within it.
    offered = found.protected.scopes_supported if found.protected is not None else None
    scope = " ".join(offered or found.metadata.scopes_supported or []) or oauth.scope
    body: dict[str, Any] = {
        "redirect_uris": [app.redirect_uri],
        "client_name": app.client_name,
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": method,
    }
    if scope:
        body["scope"] = scope
    response = await http.post(str(endpoint), json=body)
    if response.status_code not in (200, 201):
        raise _refused(response, server, "dynamic client registration", OAuthFlowError)
    info = _parse(OAuthClientInformationFull, response.content)
    if info is None:
        raise OAuthFlowError(
            f"{server!r}: the registration answer could not be read.", server=server
        )
    given = info.token_endpoint_auth_method or _pick_method(found, bool(info.client_secret))
    if given not in ("none", "client_secret_basic", "client_secret_post"):
        raise OAuthFlowError(
            f"{server!r}: registered with an unsupported client authentication.",
            error="unsupported_client_auth",
            server=server,
        )
    return ClientRecord(info.client_id, given, info.client_secret, "registered")


def authorization_link(
    found: Discovered,
    client: ClientRecord,
    *,
    redirect_uri: str,
    state: str,
    pkce: PKCEParameters,
    scope: str | None,
) -> str:
    """The authorization URL: code flow, PKCE S256, ``state``, ``resource``, scopes."""
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": pkce.code_challenge,
        "code_challenge_method": "S256",
        "resource": found.resource,
    }
    if scope:
        params["scope"] = scope
    base = str(found.metadata.authorization_endpoint)
    return f"{base}{'&' if '?' in base else '?'}{urlencode(params)}"


def _client_auth(client: ClientRecord, data: dict[str, str], headers: dict[str, str]) -> None:
    """Authenticate as ``client`` at a token or revocation endpoint.

    ``client_id`` is in the body for every method, as the MCP SDK's client sends it (its
    authorization server requires it, with Basic too); the secret only where the
    method puts it.
    """
    data["client_id"] = client.client_id
    if client.auth_method == "client_secret_basic" and client.client_secret:
        pair = f"{quote(client.client_id, safe='')}:{quote(client.client_secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        return
    if client.auth_method == "client_secret_post" and client.client_secret:
        data["client_secret"] = client.client_secret


def _refused(
    response: httpx2.Response, server: str, what: str, kind: type[OAuthFlowError]
) -> OAuthFlowError:
    """A typed error from an authorization server's error answer (RFC 6749 §5.2)."""
    error: str | None = None
    description: str | None = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = sanitize(body.get("error"), (), limit=64) or None
        description = sanitize(body.get("error_description"), (), limit=300) or None
    detail = f": {error}" + (f" ({description})" if description else "") if error else ""
    return kind(
        f"{server!r}: the authorization server refused the {what} "
        f"(HTTP {response.status_code}){detail}.",
        error=error,
        description=description,
        server=server,
        status=response.status_code,
    )


async def token_request(
    http: httpx2.AsyncClient,
    token_endpoint: str,
    client: ClientRecord,
    form: dict[str, str],
    *,
    server: str,
    what: str,
) -> tuple[OAuthToken, float | None]:
    """POST to the token endpoint; the tokens and their absolute expiry time."""
    data = dict(form)
    headers: dict[str, str] = {"accept": "application/json"}
    _client_auth(client, data, headers)
    response = await http.post(token_endpoint, data=data, headers=headers)
    if response.status_code != 200:
        raise _refused(response, server, what, TokenRequestFailed)
    token = _parse(OAuthToken, response.content)
    if token is None:  # raised here, not in an except block: the body holds tokens
        raise TokenRequestFailed(
            f"{server!r}: the token endpoint's answer to the {what} could not be read.",
            server=server,
            status=200,
        )
    expires = None if token.expires_in is None else time.time() + int(token.expires_in)
    return token, expires


async def revoke(
    http: httpx2.AsyncClient, endpoint: str, client: ClientRecord, tokens: list[tuple[str, str]]
) -> None:
    """RFC 7009: revoke each (token, type hint); failures are the server's to report."""
    for token, hint in tokens:
        data: dict[str, Any] = {"token": token, "token_type_hint": hint}
        headers: dict[str, str] = {}
        _client_auth(client, data, headers)
        response = await http.post(endpoint, data=data, headers=headers)
        await response.aclose()


async def guarded(server: str, work: Awaitable[T]) -> T:
    """``work``, with a network failure raised as GatewayUnavailable (not chained:
    the HTTP client's frames hold codes, verifiers and tokens)."""
    failed: str | None = None
    try:
        return await work
    except httpx2.HTTPError as exc:
        failed = type(exc).__name__
    raise GatewayUnavailable(
        f"{server!r}: its authorization server could not be reached ({failed}).",
        server=server,
    )
