"""HTTP helpers shared by the dev gateway tests."""

from __future__ import annotations

from typing import Any

ACCEPT = "application/json, text/event-stream"


def rpc(method: str, params: dict[str, Any] | None = None, *, id: int = 1) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        message["params"] = params
    return message


INITIALIZE = rpc(
    "initialize",
    {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "devgateway-tests", "version": "1"},
    },
)


def headers(token: str | None = None, **extra: str) -> dict[str, str]:
    out = {"Accept": ACCEPT, "Content-Type": "application/json"}
    if token is not None:
        out["Authorization"] = f"Bearer {token}"
    out.update(extra)
    return out


def call(name: str, arguments: dict[str, Any] | None = None, *, id: int = 2) -> dict[str, Any]:
    return rpc("tools/call", {"name": name, "arguments": arguments or {}}, id=id)
