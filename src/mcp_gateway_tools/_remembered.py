"""Users' current tokens remembered in this process only, for servers that run agents.

Agent servers (LangGraph's ``langgraph-api``/``langgraph dev``) authenticate a request
in one place and run the graph in another task later; whatever the auth handler puts
on the user object is *stored* with the run (measured: the in-memory runtime pickles
the run records, user object included, to ``.langgraph_api/.langgraph_ops.pckl``).
So the token must not travel on the user. The auth handler remembers it here under
the user's identity instead; the tools look it up per call by the run's authenticated
identity. Entries live in memory only, are bounded (least recently used out) and
expire; nothing here is ever written, logged or shown.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from pydantic import SecretStr

__all__ = ["forget_user_token", "recall_user_token", "remember_user_token"]

MAX_REMEMBERED = 100_000

_lock = threading.Lock()
_tokens: OrderedDict[str, tuple[float, SecretStr]] = OrderedDict()


def remember_user_token(identity: str, token: str | SecretStr, *, ttl: float = 3600.0) -> None:
    """Remember ``identity``'s current gateway token for ``ttl`` seconds (this process).

    Call it from the server's auth handler on every request: the newest token wins, so
    a refreshed IdP token replaces the old one.
    """
    secret = token if isinstance(token, SecretStr) else SecretStr(token)
    with _lock:
        _tokens[identity] = (time.monotonic() + ttl, secret)
        _tokens.move_to_end(identity)
        while len(_tokens) > MAX_REMEMBERED:
            _tokens.popitem(last=False)


def recall_user_token(identity: str) -> SecretStr | None:
    """The token remembered for ``identity``, or None (never remembered, or expired)."""
    with _lock:
        hit = _tokens.get(identity)
        if hit is None:
            return None
        if time.monotonic() >= hit[0]:
            del _tokens[identity]
            return None
        return hit[1]


def forget_user_token(identity: str) -> None:
    """Drop ``identity``'s token (sign-out)."""
    with _lock:
        _tokens.pop(identity, None)
