"""What the OAuth client keeps, and under which keys, in an ``AsyncKeyValue`` store.

Three collections: pending authorizations (keyed by a hash of ``state``, with the
store's TTL: single use, short-lived), client registrations (per authorization server
and redirect URI) and grants (per app user and server resource). Keys are SHA-256
hashes, so a store's key listing shows neither user ids nor states; values hold the
secrets (verifier, tokens, client secret): a persistent store must encrypt them
(``oauthdev``'s stores do). Nothing here is logged; reprs hide every secret.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from key_value.aio.protocols import AsyncKeyValue

__all__ = [
    "CLIENTS",
    "GRANTS",
    "LINKS",
    "PENDING",
    "ClientRecord",
    "Grant",
    "Pending",
    "Records",
    "key_of",
]

PENDING = "mcp_gateway_tools_oauth_pending"
LINKS = "mcp_gateway_tools_oauth_links"
CLIENTS = "mcp_gateway_tools_oauth_clients"
GRANTS = "mcp_gateway_tools_oauth_grants"


def key_of(*parts: str) -> str:
    """A store key for ``parts``: their SHA-256, unambiguous (length-prefixed)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(4, "big") + data)
    return digest.hexdigest()


@dataclass(frozen=True)
class ClientRecord:
    """The client the app is at one authorization server."""

    client_id: str
    auth_method: str
    client_secret: str | None = field(default=None, repr=False)
    kind: str = "registered"  # "pre-registered", "metadata-document", "registered"


@dataclass(frozen=True)
class Pending:
    """An authorization link handed out and not yet completed."""

    user: str
    server: str
    endpoint: str
    resource: str
    issuer: str
    token_endpoint: str
    scope: str | None
    redirect_uri: str
    link: str
    client: ClientRecord
    verifier: str = field(repr=False)
    iss_required: bool = False
    revocation_endpoint: str | None = None
    created: float = field(default_factory=time.time)


@dataclass(frozen=True)
class Grant:
    """One user's tokens for one server resource."""

    user: str
    endpoint: str
    resource: str
    issuer: str
    token_endpoint: str
    client: ClientRecord
    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None
    scope: str | None = None
    revocation_endpoint: str | None = None

    def expires_within(self, seconds: float) -> bool:
        return self.expires_at is not None and self.expires_at - time.time() <= seconds


def _dump(record: Pending | Grant) -> dict[str, Any]:
    return asdict(record)


def _client(data: dict[str, Any]) -> ClientRecord:
    return ClientRecord(**data)


class Records:
    """Typed access to the four collections of one store."""

    def __init__(self, store: AsyncKeyValue) -> None:
        self.store = store

    async def put_pending(self, state: str, pending: Pending, ttl: float) -> None:
        await self.store.put(key_of(state), _dump(pending), collection=PENDING, ttl=ttl)

    async def take_pending(self, state: str) -> Pending | None:
        """The pending authorization for ``state``, removed: a state works once."""
        key = key_of(state)
        data = await self.store.get(key, collection=PENDING)
        if data is None or not await self.store.delete(key, collection=PENDING):
            return None  # unknown, expired, or taken by a concurrent callback
        data = dict(data)
        data["client"] = _client(data["client"])
        return Pending(**data)

    async def link_for(self, *parts: str) -> str | None:
        """The state of the live link handed out for (user, resource, scope), if any."""
        data = await self.store.get(key_of("link", *parts), collection=LINKS)
        return str(data["state"]) if data else None

    async def remember_link(self, state: str, ttl: float, *parts: str) -> None:
        await self.store.put(key_of("link", *parts), {"state": state}, collection=LINKS, ttl=ttl)

    async def pending_link(self, state: str) -> str | None:
        data = await self.store.get(key_of(state), collection=PENDING)
        return str(data["link"]) if data else None

    async def get_client(self, *parts: str) -> ClientRecord | None:
        data = await self.store.get(key_of(*parts), collection=CLIENTS)
        return _client(dict(data)) if data else None

    async def put_client(self, record: ClientRecord, *parts: str) -> None:
        await self.store.put(key_of(*parts), asdict(record), collection=CLIENTS)

    async def get_grant(self, user: str, endpoint: str) -> Grant | None:
        data = await self.store.get(key_of(user, endpoint), collection=GRANTS)
        if data is None:
            return None
        data = dict(data)
        data["client"] = _client(data["client"])
        grant = Grant(**data)
        # A record under this key for another user or endpoint is refused, never used.
        return grant if grant.user == user and grant.endpoint == endpoint else None

    async def put_grant(self, grant: Grant) -> None:
        await self.store.put(key_of(grant.user, grant.endpoint), _dump(grant), collection=GRANTS)

    async def delete_grant(self, user: str, endpoint: str) -> bool:
        return await self.store.delete(key_of(user, endpoint), collection=GRANTS)
