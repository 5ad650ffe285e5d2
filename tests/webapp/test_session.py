"""The web demo's session cookie: the only credential a browser holds, and all it says."""

from __future__ import annotations

import base64
import json

from mcp_gateway_tools.demo.web._session import MAX_AGE, read_session, sign_session

SECRET = b"s" * 32


def test_a_signed_session_names_its_user_on_every_worker_sharing_the_secret() -> None:
    cookie = sign_session(SECRET, "bob", now=1000.0)
    assert read_session(SECRET, cookie, now=1001.0) == "bob"
    assert read_session(b"another worker's secret", cookie, now=1001.0) is None


def test_an_edited_forged_or_expired_session_names_nobody() -> None:
    cookie = sign_session(SECRET, "bob", now=1000.0)
    payload, mac = cookie.split(".")
    alice = base64.urlsafe_b64encode(json.dumps({"u": "alice", "t": 1000}).encode())
    assert read_session(SECRET, f"{alice.decode().rstrip('=')}.{mac}", now=1001.0) is None
    assert read_session(SECRET, f"{payload}.{mac[:-2]}AA", now=1001.0) is None
    assert read_session(SECRET, "not-a-cookie", now=1001.0) is None
    assert read_session(SECRET, "é.é", now=1001.0) is None
    assert read_session(SECRET, None) is None
    assert read_session(SECRET, cookie, now=1000.0 + MAX_AGE + 1) is None


def test_the_cookie_holds_the_user_name_and_time_only() -> None:
    payload = sign_session(SECRET, "bob", now=1000.0).split(".")[0]
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert decoded == {"u": "bob", "t": 1000}
