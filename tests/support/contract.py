"""The observation contract both adapters keep (DESIGN §4), stated once for the tests."""

from __future__ import annotations

# DESIGN §4 keys, plus the per-link facts (same_origin) and the count of links cut.
OBSERVATION_KEYS = frozenset(
    {"type", "authorization_urls", "server_names", "message", "links", "omitted_links"}
)
