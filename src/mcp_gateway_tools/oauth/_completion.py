"""The callback: a user back from the authorization server, their code made a grant.

``state`` is taken from the store (single use); a state issued for another user than
the one signed in is refused (and spent); the authorization server's error and an RFC
9207 ``iss`` naming another server are refused; the code is exchanged with the PKCE
verifier and the resource. Nothing here logs or raises a code, verifier or token.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from .._errors import AuthorizationDenied, InvalidAuthorizationState
from .._untrusted import sanitize
from ._exchange import guarded, token_request
from ._records import Grant, Pending
from ._runner import Completed  # loaded by the runner first: no import cycle at load

if TYPE_CHECKING:
    from ._runner import OAuthRunner

__all__ = ["complete"]

logger = logging.getLogger("mcp_gateway_tools.oauth")


async def complete(runner: OAuthRunner, callback: str | dict[str, str], user: str) -> Completed:
    """Exchange the callback's code for the user's grant; see Gateway.complete_authorization."""
    params = _callback_params(callback)
    state = params.get("state")
    pending = await runner.records.take_pending(state) if state else None
    if pending is None:
        raise InvalidAuthorizationState(
            "This authorization callback is not valid: its state is unknown, expired or "
            "already used. Start again from the tool call.",
            error="invalid_state",
        )
    if pending.user != user:
        logger.warning("oauth callback for another user refused server=%s", pending.server)
        raise InvalidAuthorizationState(
            "This authorization callback was issued for another user; it was refused "
            "(and the link is no longer valid).",
            error="state_user_mismatch",
            server=pending.server,
        )
    if "error" in params:
        error = sanitize(params["error"], (), limit=64) or "error"
        description = sanitize(params.get("error_description"), (), limit=300) or None
        raise AuthorizationDenied(
            f"{pending.server}: the authorization server did not authorize: {error}"
            + (f" ({description})." if description else "."),
            error=error,
            description=description,
            server=pending.server,
        )
    iss = params.get("iss")
    if (iss is not None and iss.rstrip("/") != pending.issuer.rstrip("/")) or (
        iss is None and pending.iss_required
    ):
        raise InvalidAuthorizationState(
            f"{pending.server}: the callback names another authorization server (iss).",
            error="iss_mismatch",
            server=pending.server,
        )
    code = params.get("code")
    if not code:
        raise InvalidAuthorizationState(
            f"{pending.server}: the callback carries no authorization code.",
            error="invalid_request",
            server=pending.server,
        )
    return await _exchange(runner, pending, code)


async def _exchange(runner: OAuthRunner, pending: Pending, code: str) -> Completed:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": pending.redirect_uri,
        "code_verifier": pending.verifier,
        "resource": pending.resource,
    }
    async with runner.http() as http:
        token, expires = await guarded(
            pending.server,
            token_request(
                http,
                pending.token_endpoint,
                pending.client,
                form,
                server=pending.server,
                what="authorization code exchange",
            ),
        )
    grant = Grant(
        user=pending.user,
        endpoint=pending.endpoint,
        resource=pending.resource,
        issuer=pending.issuer,
        token_endpoint=pending.token_endpoint,
        client=pending.client,
        access_token=token.access_token,
        refresh_token=token.refresh_token,
        expires_at=expires,
        scope=token.scope or pending.scope,
        revocation_endpoint=pending.revocation_endpoint,
    )
    await runner.records.put_grant(grant)
    logger.info("oauth authorization completed server=%s", pending.server)
    return Completed(pending.user, pending.server, grant.scope)


def _callback_params(callback: str | dict[str, str]) -> dict[str, str]:
    """The callback's query parameters, from its URL or as given."""
    if isinstance(callback, str):
        query = urlsplit(callback).query if "?" in callback or "://" in callback else callback
        return dict(parse_qsl(query, keep_blank_values=True))
    return {str(k): str(v) for k, v in dict(callback).items()}
