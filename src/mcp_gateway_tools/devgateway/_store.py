"""SQLite storage for users' OAuth grants (one row per user and server).

Why SQLite: grants must survive a restart of the dev gateway (a notebook user consents
once), and the standard library ships it. Calls are short and serialised by a lock, so
the async code calls them directly instead of paying for a thread hop.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import platformdirs

__all__ = ["Grant", "GrantStore", "default_store_path"]


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
    """Per-user data dir, so grants persist across runs of ``mcp-gateway-tools dev-gateway``."""
    return Path(platformdirs.user_data_dir("mcp-gateway-tools")) / "devgateway-grants.sqlite3"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS grants (
    user TEXT NOT NULL,
    server TEXT NOT NULL,
    access_token TEXT NOT NULL,
    refresh_token TEXT,
    expires_at REAL NOT NULL,
    scope TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (user, server)
)
"""


class GrantStore:
    """Grants keyed by (user identity, server name)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, and much faster
        self._db.execute(_SCHEMA)

    def get(self, user: str, server: str) -> Grant | None:
        with self._lock:
            row = self._db.execute(
                "SELECT access_token, refresh_token, expires_at, scope FROM grants"
                " WHERE user = ? AND server = ?",
                (user, server),
            ).fetchone()
        if row is None:
            return None
        return Grant(user, server, row[0], row[1], float(row[2]), row[3])

    def put(self, grant: Grant) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO grants VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    grant.user,
                    grant.server,
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
                "DELETE FROM grants WHERE user = ? AND server = ?", (user, server)
            )
        return cur.rowcount > 0

    def list(self) -> list[tuple[str, str]]:
        """(user, server) pairs that hold a grant: for tests and the CLI, no secrets."""
        with self._lock:
            rows = self._db.execute("SELECT user, server FROM grants ORDER BY 1, 2").fetchall()
        return [(str(r[0]), str(r[1])) for r in rows]

    def expire(self, user: str, server: str) -> None:
        """Mark the access token expired (tests use this to exercise refresh)."""
        with self._lock:
            self._db.execute(
                "UPDATE grants SET expires_at = 0 WHERE user = ? AND server = ?", (user, server)
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
