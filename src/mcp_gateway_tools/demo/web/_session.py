"""The app's own session cookie: who is signed in, signed with the workers' shared secret.

The cookie names the user and nothing else; the user's gateway token stays on the
server. HMAC-SHA256 over the payload, checked in constant time; every worker started
with the same secret accepts every other's cookies, so a page may move between workers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

__all__ = ["COOKIE", "MAX_AGE", "read_session", "sign_session"]

COOKIE = "mgt_demo_session"
MAX_AGE = 12 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())


def sign_session(secret: bytes, user: str, *, now: float | None = None) -> str:
    """A cookie value for ``user``, valid for :data:`MAX_AGE` seconds."""
    issued = int(time.time() if now is None else now)
    payload = _b64(json.dumps({"u": user, "t": issued}).encode())
    return f"{payload}.{_mac(secret, payload)}"


def read_session(secret: bytes, value: str | None, *, now: float | None = None) -> str | None:
    """The signed-in user, or None for a missing, forged, malformed or expired cookie."""
    if not value or value.count(".") != 1:
        return None
    payload, mac = value.split(".")
    try:
        if not hmac.compare_digest(mac, _mac(secret, payload)):
            return None
        data = json.loads(_unb64(payload))
    except (ValueError, UnicodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), str):
        return None
    issued = data.get("t")
    current = time.time() if now is None else now
    if not isinstance(issued, int) or not 0 <= current - issued <= MAX_AGE:
        return None
    return str(data["u"])
