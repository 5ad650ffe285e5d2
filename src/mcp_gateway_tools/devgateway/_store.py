"""SQLite storage for users' OAuth grants (one row per user, server and owner).

Why SQLite: grants must survive a restart of the dev gateway (a notebook user consents
once), and the standard library ships it. Calls are short and serialised by a lock, so
the async code calls them directly instead of paying for a thread hop.

Several dev gateways may share one file (``--store``). A grant from the built-in mock
provider is only good with the provider instance that issued it, which lives and dies
with its gateway; so such rows are owned by that gateway instance (``owners`` maps a
server to its owner tag) and are invisible to the others. A starting gateway prunes
only rows whose owning process is gone, so it never clears a running instance's
grants. Grants from a real provider (owner ``""``) are shared and persist.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

__all__ = ["Grant", "GrantStore", "default_store_path", "instance_owner"]


@dataclass(frozen=True)
class Grant:
    """A user's OAuth token set for one server. Never logged or put in a repr."""

    user: str
    server: str
    access_token: str
    refresh_token: str | None
    expires_at: float
    scope: str

    def expired(self, *, leeway: float = 5.0) -> bool:
        return time.time() + leeway >= self.expires_at

    def __repr__(self) -> str:
        return f"Grant(user={self.user!r}, server={self.server!r}, scope={self.scope!r})"


def default_store_path() -> Path:
    """A shared file in the per-user data dir, for ``--store`` users who want one."""
    return Path(platformdirs.user_data_dir("mcp-gateway-tools")) / "devgateway-grants.sqlite3"


def instance_owner() -> str:
    """A fresh owner tag for one gateway instance: ``builtin:<pid>:<random>``."""
    return f"builtin:{os.getpid()}:{secrets.token_hex(4)}"


def _owner_alive(owner: str) -> bool:
    """Whether the process that owns ``owner``'s rows still runs (unknown tags: yes)."""
    _, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if not owner.startswith("builtin:") or not pid_text.isdigit():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists, under another user
        return True
    return True


# v2: the owner column (grants of the built-in provider belong to one instance).
_SCHEMA = """
CREATE TABLE IF NOT EXISTS grants_v2 (
    user TEXT NOT NULL,
    server TEXT NOT NULL,
    owner TEXT NOT NULL,
    access_token TEXT NOT NULL,
    refresh_token TEXT,
    expires_at REAL NOT NULL,
    scope TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (user, server, owner)
)
"""


class GrantStore:
    """Grants keyed by (user identity, server name), seen through ``owners``: the owner
    tag of each server's rows (missing: ``""``, shared)."""

    def __init__(self, path: str | Path, *, owners: Mapping[str, str] | None = None) -> None:
        self.path = str(path)
        self.owners = dict(owners or {})
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, and much faster
        self._db.execute(_SCHEMA)

    def _owner(self, server: str) -> str:
        return self.owners.get(server, "")

    def prune_dead_owners(self) -> int:
        """Delete rows of instances whose process is gone; returns how many."""
        with self._lock:
            owners = [r[0] for r in self._db.execute("SELECT DISTINCT owner FROM grants_v2")]
            dead = [o for o in owners if o and not _owner_alive(o)]
            removed = 0
            for owner in dead:
                removed += self._db.execute(
                    "DELETE FROM grants_v2 WHERE owner = ?", (owner,)
                ).rowcount
        return removed

    def drop_own(self) -> None:
        """Delete this instance's rows (its provider's tokens die with it)."""
        mine = {o for o in self.owners.values() if o}
        with self._lock:
            for owner in mine:
                self._db.execute("DELETE FROM grants_v2 WHERE owner = ?", (owner,))

    def get(self, user: str, server: str) -> Grant | None:
        with self._lock:
            row = self._db.execute(
                "SELECT access_token, refresh_token, expires_at, scope FROM grants_v2"
                " WHERE user = ? AND server = ? AND owner = ?",
                (user, server, self._owner(server)),
            ).fetchone()
        if row is None:
            return None
        return Grant(user, server, row[0], row[1], float(row[2]), row[3])

    def put(self, grant: Grant) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO grants_v2 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    grant.user,
                    grant.server,
                    self._owner(grant.server),
                    grant.access_token,
                    grant.refresh_token,
                    grant.expires_at,
                    grant.scope,
                    time.time(),
                ),
            )

    def delete(self, user: str, server: str) -> bool:
        with self._lock:
            cur = self._db.execute(
                "DELETE FROM grants_v2 WHERE user = ? AND server = ? AND owner = ?",
                (user, server, self._owner(server)),
            )
        return cur.rowcount > 0

    def list(self) -> list[tuple[str, str]]:
        """(user, server) pairs that hold a grant this instance can use; no secrets."""
        with self._lock:
            rows = self._db.execute("SELECT user, server, owner FROM grants_v2").fetchall()
        return sorted((str(u), str(s)) for u, s, o in rows if o == self._owner(str(s)))

    def expire(self, user: str, server: str) -> None:
        """Mark the access token expired (tests use this to exercise refresh)."""
        with self._lock:
            self._db.execute(
                "UPDATE grants_v2 SET expires_at = 0 WHERE user = ? AND server = ? AND owner = ?",
                (user, server, self._owner(server)),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
