"""Whose identity a call carries: its token (explicit > bound > service) and headers.

A token may be a value or a provider (a callable, sync or async). A provider is asked
per call; its Credential is cached while the value is unchanged (``_tokens``). A
token value's Credential (checked, fingerprinted) is kept too, least recently used
first out, so a warm call does not check and hash the same token again. When
the gateway rejects a provider's token, the provider is asked again and the call is
retried once, only if the token changed (:meth:`Identities.as_identity`).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import SecretStr

from ._errors import InvalidToken
from ._headers import RequestHeaders
from ._tokens import Credential, ProviderCache, TokenInput, TokenSource, conceal, pick_token

__all__ = ["Identities"]

logger = logging.getLogger("mcp_gateway_tools")
T = TypeVar("T")


class Identities:
    """A Gateway's service token, its token providers' answers, and its extra headers."""

    def __init__(
        self,
        service_token: TokenInput | None,
        headers: RequestHeaders,
        *,
        max_providers: int,
        on_rotate: Callable[[Credential], None],
    ) -> None:
        self.service_token: TokenInput | None = (
            None if service_token is None else conceal(service_token)
        )
        del service_token  # frames keep SecretStr only (tracebacks with locals)
        self._service_credential: Credential | None = None
        if self.service_token is not None and not callable(self.service_token):
            self._service_credential = Credential.of(self.service_token, "service")
        self.headers = headers
        self.providers = ProviderCache(max_providers, on_rotate)
        self.known: OrderedDict[SecretStr, Credential] = OrderedDict()
        """Credentials of token values, keyed by the SecretStr (hashed by its value)."""
        self._max_known = max_providers

    def credential(self, token: TokenInput | None) -> Credential:
        """The token a call made now would carry, without headers; sync providers only."""
        value, source = pick_token(None if token is None else conceal(token), self.service_token)
        if callable(value):
            return self.providers.resolve_sync(value, source)
        return self._credential_of(value, source)

    async def acredential(self, token: TokenInput | None, server: str | None) -> Credential:
        """The identity a call made now would carry; with ``server``, its headers too."""
        value, source = pick_token(None if token is None else conceal(token), self.service_token)
        credential = await self._resolve(value, source)
        if server is None:
            return credential
        return credential.with_headers(await self.headers.for_call(server))

    async def as_identity(
        self,
        server: str,
        token: TokenInput | None,
        attempt: Callable[[Credential], Awaitable[T]],
    ) -> T:
        """Run ``attempt`` as the call's identity; once more if a provider has a new token.

        On :class:`InvalidToken` a token provider is asked again; only when it answers
        a different token is the call retried (once). The rejected token's sessions are
        closed by then (the ``on_rotate`` callback).
        """
        value, source = pick_token(token, self.service_token)
        base = await self._resolve(value, source)
        credential = base.with_headers(await self.headers.for_call(server))
        try:
            return await attempt(credential)
        except InvalidToken as exc:
            if not callable(value):
                raise
            rejected = exc
        fresh = await self.providers.resolve(value, source)
        if fresh.fingerprint == base.fingerprint:
            raise rejected
        logger.debug("token provider gave a new token server=%s; retrying once", server)
        return await attempt(fresh.with_headers(await self.headers.for_call(server)))

    def _credential_of(self, value: str | SecretStr, source: TokenSource) -> Credential:
        if source == "service" and self._service_credential is not None:
            return self._service_credential
        if not isinstance(value, SecretStr):
            return Credential.of(value, source)
        known = self.known.get(value)
        if known is not None and known.source == source:
            self.known.move_to_end(value)
            return known
        credential = Credential.of(value, source)  # a refused token raises: not kept
        self.known[value] = credential
        while len(self.known) > self._max_known:
            self.known.popitem(last=False)
        return credential

    async def _resolve(self, value: TokenInput, source: TokenSource) -> Credential:
        if callable(value):
            return await self.providers.resolve(value, source)
        return self._credential_of(value, source)
