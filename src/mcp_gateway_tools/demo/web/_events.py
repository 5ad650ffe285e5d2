"""What the page is sent: a run's messages and pauses as small JSON events.

Built only from structured data (messages, tool calls, interrupt payloads), never by
parsing text: the Connect button comes from the ``authorization_required`` payload,
Approve / Reject from the approval payload. No event carries the run's context (where
the token is); tool arguments come from the model's tool calls, not from tool inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langgraph.types import Interrupt

__all__ = ["APP_OAUTH", "from_message", "from_stream_event", "pending", "snapshot_events"]

APP_OAUTH = frozenset({"calendar"})
"""Servers whose OAuth this app runs (the others': the gateway's). A link's card says
which party asks: "authorized by this app" or "authorized at the gateway"."""

Event = dict[str, Any]
_TEXT_LIMIT = 4000


def _tool_result(message: ToolMessage) -> Event:
    return {
        "type": "tool_result",
        "tool": message.name or "",
        "status": message.status,
        "text": message.text[:_TEXT_LIMIT],
    }


def from_message(message: BaseMessage) -> list[Event]:
    """The events one message of the conversation shows as."""
    if isinstance(message, HumanMessage):
        return [{"type": "user", "text": message.text}]
    if isinstance(message, ToolMessage):
        return [_tool_result(message)]
    if isinstance(message, AIMessage):
        events: list[Event] = [
            {"type": "tool_call", "tool": call["name"], "args": dict(call["args"])}
            for call in message.tool_calls
        ]
        if message.text:
            events.append({"type": "answer", "text": message.text})
        return events
    return []


def from_stream_event(event: Mapping[str, Any]) -> list[Event]:
    """The events an ``astream_events(version="v2")`` event shows as (most: none)."""
    kind = event.get("event")
    output = event.get("data", {}).get("output")
    if kind == "on_chat_model_end" and isinstance(output, AIMessage):
        return from_message(output)
    if kind == "on_tool_end" and isinstance(output, ToolMessage):
        return [_tool_result(output)]
    return []


def _http_link(url: object) -> bool:
    parts = urlsplit(url) if isinstance(url, str) else None
    return parts is not None and parts.scheme in ("http", "https") and bool(parts.netloc)


def _display_name(server: str, names: Mapping[str, str]) -> str:
    """The gateway's name for a server; an alias alone (app-run servers) is titled."""
    name = names.get(server)
    return name if name and name != server else server.title()


def pending(interrupts: Iterable[Interrupt]) -> list[Event]:
    """A Connect card per consent the run waits on, an Approve / Reject card per approval."""
    events: list[Event] = []
    for item in interrupts:
        value = item.value if isinstance(item.value, Mapping) else {}
        if value.get("type") == "authorization_required":
            names = value.get("server_names", {})
            links = [
                {
                    "server": server,
                    "name": _display_name(server, names),
                    "url": url,
                    "authorized_by": "app" if server in APP_OAUTH else "gateway",
                }
                for server, url in value.get("authorization_urls", {}).items()
                if _http_link(url)
            ]
            events.append(
                {
                    "type": "authorization",
                    "id": item.id,
                    "tool": value.get("tool"),
                    "message": value.get("message", ""),
                    "links": links,
                }
            )
        elif value.get("type") == "approval_required":
            (action,) = value.get("action_requests", [{}])[:1] or [{}]
            events.append(
                {
                    "type": "approval",
                    "id": item.id,
                    "tool": action.get("name"),
                    "args": action.get("args", {}),
                    "description": action.get("description", ""),
                }
            )
    return events


def snapshot_events(
    messages: Sequence[BaseMessage], interrupts: Iterable[Interrupt]
) -> list[Event]:
    """The whole conversation of a thread as the page shows it, pauses last."""
    events = [e for m in messages for e in from_message(m)]
    return events + pending(interrupts)
