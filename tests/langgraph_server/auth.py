"""Custom auth for LangGraph's server: the caller's bearer token is their gateway token.

A real app verifies it (an IdP JWT, or its own session mapped to the user's gateway
token). The handler *remembers* the token in this process under the user's identity
(``remember_user_token``) and returns only the identity: LangGraph's server stores the
user object with every run (the in-memory runtime pickles it to
``.langgraph_api/.langgraph_ops.pckl``), so a token placed on it would be persisted.
The gateway tools look the token up per call by the run's authenticated identity.
"""

from __future__ import annotations

import hashlib

from langgraph_sdk import Auth

from mcp_gateway_tools import remember_user_token

auth = Auth()


@auth.authenticate
async def authenticate(authorization: str | None) -> Auth.types.MinimalUserDict:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Auth.exceptions.HTTPException(status_code=401, detail="Bearer token required")
    # Stand-in for verifying the token: a stable, non-reversible user id.
    identity = "user-" + hashlib.sha256(token.encode()).hexdigest()[:12]
    remember_user_token(identity, token)  # this process only; newest token wins
    return {"identity": identity}


@auth.on
async def owner_only(ctx: Auth.types.AuthContext, value: dict) -> dict[str, str]:  # type: ignore[type-arg]
    """Each user sees only their own threads and runs."""
    metadata = value.setdefault("metadata", {})
    metadata["owner"] = ctx.user.identity
    return {"owner": ctx.user.identity}
