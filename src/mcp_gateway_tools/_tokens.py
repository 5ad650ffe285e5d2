"""Token binding and resolution.

One rule decides whose identity a call carries (DESIGN §4): an explicit per-call token
(what adapters pass from the framework's per-request value) wins, then the token bound
with :func:`user_token`, then the Gateway's static service token. A bound user token is
never silently replaced by the service token, and no token at all is an error.

Tokens live in :class:`pydantic.SecretStr` so an accidental ``repr`` or log shows
``**********``; pools and logs identify them by a keyed fingerprint that cannot be
reversed or replayed.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

from pydantic import SecretStr

from ._errors import MissingUserToken

__all__ = ["Credential", "bound_user_token", "fingerprint", "resolve_credential", "user_token"]

# A per-process key: fingerprints are stable within a process (pool keys, log lines)
# and useless outside it.
_FINGERPRINT_KEY = secrets.token_bytes(32)

_bound: contextvars.ContextVar[SecretStr | None] = contextvars.ContextVar(
    "mcp_gateway_tools_user_token", default=None
)

TokenSource = Literal["call", "bound", "service"]


def fingerprint(token: str) -> str:
    """A short, keyed, non-reversible identifier for ``token`` (12 hex characters)."""
    return hmac.new(_FINGERPRINT_KEY, token.encode(), hashlib.sha256).hexdigest()[:12]


@dataclass(frozen=True)
class Credential:
    """The token a call will carry, and where it came from.

    ``source`` is ``"service"`` for the Gateway's static token, which lets error
    messages explain that a service token cannot hold per-user OAuth grants.
    """

    secret: SecretStr = field(repr=False)
    source: TokenSource
    fingerprint: str

    @classmethod
    def of(cls, token: str | SecretStr, source: TokenSource) -> Credential:
        secret = token if isinstance(token, SecretStr) else SecretStr(token)
        value = secret.get_secret_value().strip()
        scheme, _, rest = value.partition(" ")
        if scheme.lower() == "bearer":  # accept a pasted "Bearer <token>"
            value = rest.strip()
        if not value:
            raise MissingUserToken("An empty token was given; bind a non-empty token.")
        if any(ch in value for ch in "\r\n\x00"):
            raise MissingUserToken("The token contains control characters; refusing it.")
        return cls(SecretStr(value), source, fingerprint(value))

    @property
    def is_service(self) -> bool:
        return self.source == "service"

    def authorization(self) -> str:
        """The Authorization header value: the only place the token is ever written."""
        return f"Bearer {self.secret.get_secret_value()}"


@contextmanager
def user_token(token: str | SecretStr) -> Iterator[None]:
    """Bind the end user's gateway token for the current context.

    The binding follows the context: the current thread or task, and tasks spawned
    inside the block (``asyncio`` copies context into new tasks). Other threads and
    concurrently running tasks keep their own binding, so requests served in parallel
    never see each other's tokens.

    >>> with user_token(request_token):
    ...     await agent.ainvoke(...)
    """
    secret = token if isinstance(token, SecretStr) else SecretStr(token)
    reset = _bound.set(secret)
    try:
        yield
    finally:
        _bound.reset(reset)


def bound_user_token() -> SecretStr | None:
    """The token bound by :func:`user_token` in this context, if any."""
    return _bound.get()


def resolve_credential(
    call_token: str | SecretStr | None, service_token: SecretStr | None
) -> Credential:
    """Pick the identity for one call, in the documented order, failing closed."""
    if call_token is not None:
        return Credential.of(call_token, "call")
    bound = _bound.get()
    if bound is not None:
        return Credential.of(bound, "bound")
    if service_token is not None:
        return Credential.of(service_token, "service")
    raise MissingUserToken(
        "No gateway token for this call. Bind the end user's token in one of three ways: "
        "pass it per request (LangChain: runtime context `user_token` or "
        "config['configurable']['user_token']; LlamaIndex: the workflow Context key "
        "'user_token'), wrap the call in `with mcp_gateway_tools.user_token(token):`, "
        "or give the Gateway a service token with Gateway(url, token=...)."
    )
