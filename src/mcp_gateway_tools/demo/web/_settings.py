"""What one web-demo worker is told at start: where the gateway is, whose tokens, secrets.

A worker process receives these on stdin as JSON (never on its command line or in its
environment, where other tools may show them). The reprs never show a token, the
session secret or the OAuth store's key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["USERS", "Settings"]

USERS = {"alice": "Alice", "bob": "Bob"}
"""The dev gateway's built-in users the page offers to sign in as."""


@dataclass(frozen=True)
class Settings:
    gateway_url: str
    tokens: dict[str, str] = field(repr=False)  # user name -> dev gateway token
    secret: bytes = field(repr=False)  # signs the session cookie; the same on every worker
    db_path: str  # the SQLite checkpointer (and resume claims), shared by the workers
    model: str | None = None  # a real model's name, or None for the scripted one
    worker: str = "1"
    calendar_url: str = ""  # the OAuth-protected calendar server the app runs OAuth for
    redirect_uri: str = ""  # this worker's OAuth callback (its own port)
    grants_dir: str = ""  # the encrypted OAuth token store (SQLite), shared by the workers
    grants_key: str = field(default="", repr=False)  # its Fernet key, made per demo run

    def to_json(self) -> str:
        return json.dumps(
            {
                "gateway_url": self.gateway_url,
                "tokens": self.tokens,
                "secret": self.secret.hex(),
                "db_path": self.db_path,
                "model": self.model,
                "worker": self.worker,
                "calendar_url": self.calendar_url,
                "redirect_uri": self.redirect_uri,
                "grants_dir": self.grants_dir,
                "grants_key": self.grants_key,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Settings:
        raw: dict[str, Any] = json.loads(text)
        return cls(
            gateway_url=str(raw["gateway_url"]),
            tokens={str(k): str(v) for k, v in raw["tokens"].items()},
            secret=bytes.fromhex(raw["secret"]),
            db_path=str(raw["db_path"]),
            model=raw.get("model"),
            worker=str(raw.get("worker", "1")),
            calendar_url=str(raw.get("calendar_url", "")),
            redirect_uri=str(raw.get("redirect_uri", "")),
            grants_dir=str(raw.get("grants_dir", "")),
            grants_key=str(raw.get("grants_key", "")),
        )
