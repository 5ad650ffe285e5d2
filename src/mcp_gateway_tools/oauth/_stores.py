"""Token stores for OAuth run by the app: encrypted at rest, built from py-key-value.

Both are py-key-value ``AsyncKeyValue`` stores wrapped in its
``FernetEncryptionWrapper`` (``cryptography``'s Fernet: AES-128-CBC + HMAC-SHA256),
so every value - grants with their access and refresh tokens, pending authorizations
with their PKCE verifiers, client secrets - is encrypted with a key the app supplies
before it reaches disk or the database. Keys are SHA-256 hashes already (``_records``),
so neither user ids nor states are readable either; TTLs stay in the clear.

- :func:`sqlite_token_store`: embedded, one directory holding a diskcache SQLite file
  (``DiskStore``); processes on one machine may share it.
- :func:`postgres_token_store`: for many workers on an existing PostgreSQL server
  (``PostgreSQLStore``, asyncpg); a flow started by one worker completes in another.

A wrong key fails closed: reading raises instead of returning nothing or garbage.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from key_value.aio.protocols import AsyncKeyValue
from key_value.aio.wrappers.base import BaseWrapper

from .._errors import ConfigurationError
from .._extras import require

__all__ = [
    "EncryptedStore",
    "EncryptionKey",
    "generate_key",
    "postgres_token_store",
    "sqlite_token_store",
]

EncryptionKey = str | bytes | Sequence[str | bytes]
"""A Fernet key (``generate_key()``), or several: the first encrypts, all decrypt
(rotate by putting the new key first)."""

DEFAULT_TABLE = "mcp_gateway_tools_oauth"


def generate_key() -> str:
    """A new random Fernet key (urlsafe base64 of 32 bytes). Keep it in a secret store."""
    require("oauth-stores", "encrypted token stores")
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")


def _fernet(key: EncryptionKey) -> Any:
    """A (Multi)Fernet for ``key``; a malformed key is a ConfigurationError that never
    echoes it."""
    require("oauth-stores", "encrypted token stores")
    from cryptography.fernet import Fernet, MultiFernet

    keys = [key] if isinstance(key, str | bytes) else list(key)
    if not keys:
        raise ConfigurationError("key= needs at least one Fernet key (generate_key()).")
    fernets: list[Fernet] = []
    for item in keys:
        fernet: Fernet | None = None
        # The error is raised below, outside any except: no chain to the key's value.
        with contextlib.suppress(ValueError, TypeError):
            fernet = Fernet(item)
        if fernet is None:
            raise ConfigurationError(
                "key= must be a Fernet key: 32 bytes, urlsafe base64 (generate_key())."
            )
        fernets.append(fernet)
    return fernets[0] if len(fernets) == 1 else MultiFernet(fernets)


class EncryptedStore(BaseWrapper):
    """An ``AsyncKeyValue`` whose values are Fernet-encrypted in ``inner``.

    Also an async context manager; ``close()`` closes the inner store (its SQLite file
    or its connection pool).
    """

    def __init__(self, inner: Any, key: EncryptionKey) -> None:
        from key_value.aio.wrappers.encryption import FernetEncryptionWrapper

        self.inner = inner
        self.key_value: AsyncKeyValue = FernetEncryptionWrapper(inner, fernet=_fernet(key))
        super().__init__()

    def __repr__(self) -> str:
        return f"EncryptedStore({type(self.inner).__name__})"

    async def close(self) -> None:
        await self.inner.close()

    async def __aenter__(self) -> EncryptedStore:
        await self.inner.setup()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def sqlite_token_store(directory: str | os.PathLike[str], *, key: EncryptionKey) -> EncryptedStore:
    """An embedded store: a diskcache SQLite database in ``directory`` (created
    ``0700``), values encrypted with ``key``. Needs the ``oauth-stores`` extra."""
    require("oauth-stores", "the SQLite token store")
    from key_value.aio.stores.disk import DiskStore

    _fernet(key)  # a bad key fails before anything touches the disk
    path = Path(directory)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return EncryptedStore(DiskStore(directory=path), key)


def postgres_token_store(
    url: str, *, key: EncryptionKey, table: str = DEFAULT_TABLE
) -> EncryptedStore:
    """A store in PostgreSQL table ``table`` (created if missing) for many workers,
    values encrypted with ``key``. ``url``: ``postgresql://user:pass@host/db``. Needs
    the ``oauth-postgres`` extra."""
    require("oauth-postgres", "the PostgreSQL token store")
    from key_value.aio.stores.postgresql import PostgreSQLStore

    if not table.replace("_", "").isalnum() or not table[:1].isalpha():
        raise ConfigurationError("table= must be a plain SQL identifier (letters, digits, _).")
    _fernet(key)
    return EncryptedStore(PostgreSQLStore(url=url, table_name=table), key)
