"""Read what a gateway itself says, byte for byte, so tests can compare the library's
errors with the gateway's own words instead of with strings we made up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx2

_INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "interop-probe", "version": "1"},
    },
}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: httpx2.Headers
    body: Any

    @property
    def detail(self) -> str:
        """The gateway's message: ``detail`` (a string, or LiteLLM's ``{"message"}``)."""
        detail = self.body.get("detail") if isinstance(self.body, dict) else None
        if isinstance(detail, dict):
            return str(detail.get("message") or detail.get("error"))
        if detail is None and isinstance(self.body, dict):
            return str(self.body.get("message") or self.body.get("error"))
        return str(detail)


def initialize(url: str, token: str | None, headers: dict[str, str] | None = None) -> Answer:
    """POST an MCP ``initialize`` to ``url`` and return the raw answer."""
    sent = {"Accept": "application/json, text/event-stream", **(headers or {})}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    answer = httpx2.post(url, json=_INITIALIZE, headers=sent, timeout=30.0)
    try:
        body = answer.json()
    except ValueError:
        body = answer.text
    return Answer(answer.status_code, answer.headers, body)
