"""A cache of tool listings per (endpoint, token identity).

Different identities may see different tools (access rules, virtual servers), so the
listing is cached per principal, never shared. Entries expire after a TTL and are
dropped on ``notifications/tools/list_changed`` and when a user completes consent.
"""

from __future__ import annotations

import time

from ._content import ToolInfo

__all__ = ["ToolCache"]

CacheKey = tuple[str, str]


class ToolCache:
    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._entries: dict[CacheKey, tuple[float, tuple[ToolInfo, ...]]] = {}

    def get(self, key: CacheKey) -> tuple[ToolInfo, ...] | None:
        hit = self._entries.get(key)
        if hit is None:
            return None
        expires, tools = hit
        if time.monotonic() >= expires:
            del self._entries[key]
            return None
        return tools

    def put(self, key: CacheKey, tools: tuple[ToolInfo, ...]) -> None:
        if self._ttl > 0:
            self._entries[key] = (time.monotonic() + self._ttl, tools)

    def invalidate(self, key: CacheKey) -> None:
        self._entries.pop(key, None)

    def invalidate_endpoint(self, endpoint: str) -> None:
        for key in [k for k in self._entries if k[0] == endpoint]:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()
