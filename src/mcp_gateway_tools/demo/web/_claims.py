"""Exactly one worker resumes a pause: a claim row per (checkpoint, interrupt).

Every worker that shows a user's paused run waits for the consent itself, so with two
workers (or two tabs on two workers) more than one may see it complete. Resuming twice
would run the tool twice. The first worker to insert the claim resumes; the others
leave it. The claims live in the checkpointer's own SQLite file, so whatever shares
the runs shares the claims.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

__all__ = ["ResumeClaims"]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS webapp_resume_claims "
    "(key TEXT PRIMARY KEY, worker TEXT NOT NULL, claimed_at REAL NOT NULL)"
)

_KEEP_SECONDS = 7 * 24 * 3600


class ResumeClaims:
    def __init__(self, path: str, worker: str) -> None:
        self.path = path
        self.worker = worker
        db = self._connect()
        try:
            with db:
                db.execute(_SCHEMA)
                # A claim matters only while its pause could still be resumed twice.
                db.execute(
                    "DELETE FROM webapp_resume_claims WHERE claimed_at < ?",
                    (time.time() - _KEEP_SECONDS,),
                )
        finally:
            db.close()

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10.0)

    def _insert(self, key: str) -> bool:
        db = self._connect()
        try:
            with db:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO webapp_resume_claims VALUES (?, ?, ?)",
                    (key, self.worker, time.time()),
                )
            return cursor.rowcount == 1
        finally:
            db.close()

    async def claim(self, checkpoint_id: str, interrupt_id: str) -> bool:
        """True for the one caller, across processes, that may resume this pause."""
        return await asyncio.to_thread(self._insert, f"{checkpoint_id}:{interrupt_id}")
