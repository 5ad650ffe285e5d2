"""A token reference for the workflow Context: what a durable workflow may persist.

``ctx.to_dict()`` serialises the whole store, so a Context holding the user's token
under ``"user_token"`` writes it wherever the app keeps paused workflows. Put a
:class:`TokenReference` there instead: it names the user (a session or user id of the
app's choosing) and holds no secret. Each process that runs or resumes the workflow
binds that reference to the user's *current* token for the request it serves::

    await ctx.store.set("user_token", TokenReference(ref=session_id))
    with bind_token_reference(session_id, request_token):
        handler = agent.run("...", ctx=ctx)

A reference that is not bound where the tool runs fails closed with
:class:`~mcp_gateway_tools.MissingUserToken`: it never falls back to ``user_token()``
or the service token, which would be another identity.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Literal

from pydantic import BaseModel, ConfigDict, SecretStr

from .._errors import ConfigurationError, MissingUserToken

__all__ = ["TokenReference", "bind_token_reference"]

_bound: contextvars.ContextVar[Mapping[str, SecretStr] | None] = contextvars.ContextVar(
    "mcp_gateway_tools_token_references", default=None
)


class TokenReference(BaseModel):
    """Stands for the user's token in a workflow Context; serialisable, holds no secret."""

    model_config = ConfigDict(frozen=True)

    type: Literal["token_reference"] = "token_reference"
    ref: str
    """The app's name for the user or session (never the token itself)."""

    def resolve(self) -> SecretStr:
        """The token bound to this reference in the current context (fail closed)."""
        token = (_bound.get() or {}).get(self.ref)
        if token is None:
            raise MissingUserToken(
                f"The workflow Context holds a token reference ({self.ref!r}) that is not "
                "bound here. Wrap the run in `with bind_token_reference(ref, token):` with "
                "the user's current token."
            )
        return token


@contextmanager
def bind_token_reference(ref: str, token: str | SecretStr) -> Iterator[None]:
    """Bind ``ref`` to the user's current ``token`` for the current context (and the
    tasks it spawns, such as a workflow's steps)."""
    secret = token if isinstance(token, SecretStr) else SecretStr(token)
    if not secret.get_secret_value().strip():
        raise ConfigurationError("bind_token_reference needs a non-empty token")
    reset = _bound.set({**(_bound.get() or {}), ref: secret})
    try:
        yield
    finally:
        _bound.reset(reset)
