"""Sample downstream MCP servers: knowledge base, web search, mailbox, calendar.

They run as ordinary fastmcp HTTP apps on their own loopback port, behind the gateway,
and trust only the credentials the gateway forwards: the knowledge base and search
check their shared headers, the mailbox and calendar resolve the user from the OAuth
access token alone. So when a test sees Bob's mail, it is because the gateway
forwarded Bob's token - isolation is real, not simulated. ``*_whoami`` tools echo
the identity they received (never the token).
"""

from __future__ import annotations

import functools
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastmcp import FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.server.dependencies import get_http_headers, get_http_request
from fastmcp.utilities.types import Image
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from ._oauth import TokenInfo

__all__ = ["TOOL_SCOPES", "SampleContext", "sample_app"]

# The OAuth scope each per-user tool needs. The tools check it themselves; a
# standard OAuth-protected sample ("mcp-oauth") also checks it before the call, so a
# token without it gets HTTP 403 ``insufficient_scope`` (the step-up signal).
TOOL_SCOPES: dict[str, dict[str, str]] = {
    "mail": {
        "list_messages": "mail.read",
        "read_message": "mail.read",
        "send_message": "mail.send",
        "mail_whoami": "mail.read",
    },
    "calendar": {
        "list_events": "calendar.read",
        "create_event": "calendar.write",
        "calendar_whoami": "calendar.read",
    },
}

_CONTEXT_KEY = "mcp_gateway_tools.devgateway.sample"


@dataclass
class SampleContext:
    """What one gateway's copy of a sample server knows: its credentials and its data.

    The FastMCP servers are built once per process (parsing tool signatures costs
    ~90 ms per gateway start); each gateway's upstream app puts its own context in the
    ASGI scope, so gateways running side by side never share credentials or state.
    """

    static_headers: dict[str, str]
    # Who an access token belongs to (None: not a token for this server).
    verify: Callable[[str], TokenInfo | None]
    sent: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    created: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _ctx() -> SampleContext:
    context = get_http_request().scope.get(_CONTEXT_KEY)
    if not isinstance(context, SampleContext):
        raise ToolError("sample server context missing")
    return context


ARTICLES: dict[str, dict[str, Any]] = {
    "kb-1": {
        "title": "Resetting your password",
        "body": "Open Settings > Security, choose 'Reset password' and follow the email link.",
        "tags": ["account", "security"],
    },
    "kb-2": {
        "title": "Expense policy",
        "body": "Submit expenses within 30 days with a receipt; travel needs prior approval.",
        "tags": ["finance", "policy"],
    },
    "kb-3": {
        "title": "VPN setup",
        "body": "Install the VPN client, sign in with SSO, and pick the nearest region.",
        "tags": ["it", "network"],
    },
}

MAILBOXES: dict[str, list[dict[str, str]]] = {
    "alice@example.com": [
        {"id": "m-a1", "from": "carol@example.com", "subject": "Q3 roadmap review",
         "body": "Alice, can you review the Q3 roadmap before Friday?"},
        {"id": "m-a2", "from": "it@example.com", "subject": "Your laptop is ready",
         "body": "Pick up your new laptop at the IT desk."},
        {"id": "m-a3", "from": "bob@example.com", "subject": "Lunch?",
         "body": "Lunch on Thursday at noon?"},
    ],
    "bob@example.com": [
        {"id": "m-b1", "from": "dave@example.com", "subject": "Invoice #4411",
         "body": "Bob, the invoice for October is attached."},
        {"id": "m-b2", "from": "alice@example.com", "subject": "Re: Lunch?",
         "body": "Thursday works for me."},
    ],
}  # fmt: skip

CALENDARS: dict[str, list[dict[str, Any]]] = {
    "alice@example.com": [
        {"id": "e-a1", "title": "Roadmap review", "start": "2026-12-01T10:00", "minutes": 60},
        {"id": "e-a2", "title": "1:1 with Carol", "start": "2026-12-02T14:00", "minutes": 30},
    ],
    "bob@example.com": [
        {"id": "e-b1", "title": "Budget sync", "start": "2026-12-01T09:00", "minutes": 45},
    ],
}


def _png(width: int = 8, height: int = 8) -> bytes:
    """A tiny valid PNG (a diagonal stripe), built without an imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(
        b"\x00" + b"".join(b"\x20\x60\xc0" if x == y else b"\xff\xff\xff" for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _check_static() -> None:
    received = get_http_headers(include_all=True)
    for name, value in _ctx().static_headers.items():
        if received.get(name.lower()) != value:
            raise ToolError(f"downstream rejected the request: missing or wrong {name} header")


def _knowledge() -> FastMCP:
    mcp: FastMCP = FastMCP("Knowledge Base")

    @mcp.tool
    def search_docs(query: str) -> str:
        """Search the knowledge base; returns matching article ids and titles as text."""
        _check_static()
        words = query.lower().split()
        hits = [
            f"{aid}: {a['title']}"
            for aid, a in ARTICLES.items()
            if not words or any(w in (a["title"] + " " + a["body"]).lower() for w in words)
        ]
        return "\n".join(hits) if hits else f"No articles match {query!r}."

    @mcp.tool
    def get_article(article_id: str) -> dict[str, Any]:
        """Fetch one article as structured content: id, title, body, tags."""
        _check_static()
        if article_id not in ARTICLES:
            raise ToolError(f"no article {article_id!r}")
        return {"id": article_id, **ARTICLES[article_id]}

    @mcp.tool
    def get_diagram(article_id: str) -> Image:
        """An illustration for an article, as a PNG image result."""
        _check_static()
        if article_id not in ARTICLES:
            raise ToolError(f"no article {article_id!r}")
        return Image(data=_png(), format="png")

    @mcp.tool
    def kb_whoami() -> dict[str, Any]:
        """Echo the identity the knowledge base received: always the shared credential."""
        _check_static()
        return {"server": "knowledge", "identity": "shared-credential"}

    return mcp


def _search() -> FastMCP:
    mcp: FastMCP = FastMCP("Web Search")

    @mcp.tool
    def web_search(query: str, limit: int = 3) -> dict[str, Any]:
        """Search the (fake) web; structured results with title, url and snippet."""
        _check_static()
        limit = max(1, min(limit, 10))
        slug = "-".join(query.lower().split()) or "empty"
        results = [
            {
                "title": f"{query} - result {i}",
                "url": f"https://search.example.com/{slug}/{i}",
                "snippet": f"Snippet {i} about {query}.",
            }
            for i in range(1, limit + 1)
        ]
        return {"query": query, "results": results}

    @mcp.tool
    def search_whoami() -> dict[str, Any]:
        """Echo the identity the search server received: the shared API key."""
        _check_static()
        return {"server": "search", "identity": "api-key"}

    return mcp


def _user(scope: str) -> TokenInfo:
    """Resolve the caller from the forwarded OAuth access token, and nothing else."""
    header = get_http_headers(include={"authorization"}).get("authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else ""
    info = _ctx().verify(token) if token else None
    if info is None:
        raise ToolError("downstream rejected the request: missing or invalid OAuth access token")
    if scope not in info.scopes:
        raise ToolError(f"downstream rejected the request: token lacks scope {scope!r}")
    return info


def _mail() -> FastMCP:
    mcp: FastMCP = FastMCP("Mail")

    def box(user: str) -> list[dict[str, str]]:
        return MAILBOXES.get(user) or [
            {"id": "m-welcome", "from": "postmaster@example.com", "subject": "Welcome",
             "body": f"Welcome to your mailbox, {user}."}
        ]  # fmt: skip

    @mcp.tool
    def list_messages(limit: int = 10) -> dict[str, Any]:
        """List the caller's own inbox: owner and message summaries (id, from, subject)."""
        me = _user(TOOL_SCOPES["mail"]["list_messages"]).user
        items = [{k: m[k] for k in ("id", "from", "subject")} for m in box(me)[: max(0, limit)]]
        return {"owner": me, "messages": items}

    @mcp.tool
    def read_message(message_id: str) -> dict[str, Any]:
        """Read one message of the caller's own inbox (other users' ids are not found)."""
        me = _user(TOOL_SCOPES["mail"]["read_message"]).user
        for m in box(me):
            if m["id"] == message_id:
                return {"owner": me, **m}
        raise ToolError(f"no message {message_id!r} in your mailbox")

    @mcp.tool
    def send_message(to: str, subject: str, body: str) -> dict[str, Any]:
        """Send a message from the caller's own address."""
        me = _user(TOOL_SCOPES["mail"]["send_message"]).user
        outbox = _ctx().sent.setdefault(me, [])
        outbox.append({"to": to, "subject": subject, "body": body})
        return {"sent": True, "from": me, "to": to, "id": f"s-{len(outbox)}"}

    @mcp.tool
    def mail_whoami() -> dict[str, Any]:
        """Echo the identity the mail server derived from the forwarded OAuth token."""
        info = _user(TOOL_SCOPES["mail"]["mail_whoami"])
        return {"server": "mail", "user": info.user, "scopes": list(info.scopes),
                "token_id": info.token_id}  # fmt: skip

    return mcp


def _calendar() -> FastMCP:
    mcp: FastMCP = FastMCP("Calendar")

    @mcp.tool
    def list_events(day: str | None = None) -> dict[str, Any]:
        """List the caller's own events, optionally only those starting on ``day`` (YYYY-MM-DD)."""
        me = _user(TOOL_SCOPES["calendar"]["list_events"]).user
        events = CALENDARS.get(me, []) + _ctx().created.get(me, [])
        if day:
            events = [e for e in events if str(e["start"]).startswith(day)]
        return {"owner": me, "events": events}

    @mcp.tool
    def create_event(title: str, start: str, minutes: int = 30) -> dict[str, Any]:
        """Create an event in the caller's own calendar."""
        me = _user(TOOL_SCOPES["calendar"]["create_event"]).user
        mine = _ctx().created.setdefault(me, [])
        event = {"id": f"e-new-{len(mine) + 1}", "title": title, "start": start,
                 "minutes": minutes, "created": time.time()}  # fmt: skip
        mine.append(event)
        return {"owner": me, "event": event}

    @mcp.tool
    def calendar_whoami() -> dict[str, Any]:
        """Echo the identity the calendar derived from the forwarded OAuth token."""
        info = _user(TOOL_SCOPES["calendar"]["calendar_whoami"])
        return {"server": "calendar", "user": info.user, "scopes": list(info.scopes),
                "token_id": info.token_id}  # fmt: skip

    return mcp


_BUILDERS = {"knowledge": _knowledge, "search": _search, "mail": _mail, "calendar": _calendar}


@functools.cache
def _server(kind: str) -> FastMCP:
    return _BUILDERS[kind]()


class _WithContext:
    """ASGI wrapper putting one gateway's SampleContext into every request's scope."""

    def __init__(self, app: Starlette, context: SampleContext) -> None:
        self.app = app
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = {**scope, _CONTEXT_KEY: self.context}
        await self.app(scope, receive, send)


def sample_app(kind: str, context: SampleContext) -> tuple[Starlette, _WithContext]:
    """A fresh HTTP app (own session manager) for sample ``kind``; serve the wrapper."""
    if kind not in _BUILDERS:
        raise ValueError(f"unknown sample server {kind!r}")
    app = _server(kind).http_app(path="/mcp", stateless_http=True, json_response=True)
    return app, _WithContext(app, context)
