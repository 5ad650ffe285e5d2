"""Per-identity state, bounded: tool listings and pending consent.

Different identities may see different tools (access rules, virtual servers), so a
listing is cached per (endpoint, identity), never shared. Entries expire after a TTL
and are dropped on ``notifications/tools/list_changed``, when a user completes consent,
and when a provider rotates the token they belong to.

Both structures are least-recently-used and bounded (the Gateway uses
``4 × max_sessions``): every write prunes expired entries first, then the oldest, so
rotating identities (short-lived JWTs, many users) cannot grow them without limit.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

from ._content import ToolInfo

__all__ = ["CacheKey", "ConsentSet", "ToolCache"]

CacheKey = tuple[str, str]
"""(endpoint URL, ``Credential.identity``)."""


@dataclass(frozen=True)
class _Listing:
    expires: float
    tools: tuple[ToolInfo, ...]
    token: str  # the token fingerprint, so a rotated token's listings can be dropped


class ToolCache:
    """Tool listings per (endpoint, identity): TTL, LRU, at most ``max_entries``."""

    def __init__(self, ttl: float, *, max_entries: int = 1024) -> None:
        self._ttl = ttl
        self.max_entries = max(1, max_entries)
        self._entries: OrderedDict[CacheKey, _Listing] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: CacheKey) -> tuple[ToolInfo, ...] | None:
        hit = self._entries.get(key)
        if hit is None:
            return None
        if time.monotonic() >= hit.expires:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return hit.tools

    def put(self, key: CacheKey, tools: tuple[ToolInfo, ...], *, token: str = "") -> None:
        if self._ttl <= 0:
            return
        now = time.monotonic()
        self._entries[key] = _Listing(now + self._ttl, tools, token)
        self._entries.move_to_end(key)
        self._prune(now)

    def _prune(self, now: float) -> None:
        """Drop expired listings from the old end, then the oldest beyond the bound.

        Amortised O(1) per write: only the least recently used end is examined.
        """
        while self._entries:
            oldest = next(iter(self._entries.values()))
            if now < oldest.expires:
                break
            self._entries.popitem(last=False)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def invalidate(self, key: CacheKey) -> None:
        self._entries.pop(key, None)

    def invalidate_endpoint(self, endpoint: str) -> None:
        for key in [k for k in self._entries if k[0] == endpoint]:
            del self._entries[key]

    def invalidate_token(self, token: str) -> None:
        """Forget every listing made with the token of this fingerprint."""
        for key in [k for k, v in self._entries.items() if v.token == token]:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()


class ConsentSet:
    """(endpoint, identity) pairs that were told to authorize: LRU, at most ``max_entries``.

    Remembered so the first success after consent can refresh that identity's listing;
    forgetting an old entry costs at most one stale listing until its TTL.
    """

    def __init__(self, *, max_entries: int = 1024) -> None:
        self.max_entries = max(1, max_entries)
        self._entries: OrderedDict[CacheKey, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def add(self, key: CacheKey, *, token: str = "") -> None:
        self._entries[key] = token
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def discard(self, key: CacheKey) -> None:
        self._entries.pop(key, None)

    def discard_token(self, token: str) -> None:
        for key in [k for k, v in self._entries.items() if v == token]:
            del self._entries[key]
