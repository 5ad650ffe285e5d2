"""Third-party log records that can quote the wire, with the session's token removed.

mcp, fastmcp, httpx2 and httpcore2 log what the gateway sent before we see it: response
headers (a ``WWW-Authenticate`` quoting the token), each received message ("SSE
message: ..."), and, with ``exc_info``, validation errors that quote a malformed body
whole. The token is not in the wire bytes we redact when the gateway spells it with
JSON ``\\u`` escapes; decoding reveals it, so those records are redacted here.

Which token: :data:`wire_secret`, set by the task that opens a session (so every task
the session spawns, its reader, writer and message handlers, inherits it) and by the
transport for each request. One session is one identity, so a record never gets
another user's token removed or kept. The filter sits on the loggers that produce the
records (:data:`PRODUCERS`, plus any logger under their prefixes that exists when a
Gateway is built): users' handlers, levels and formatters are untouched, and a filter
on a logger costs nothing unless that logger's level lets a record through.
"""

from __future__ import annotations

import contextvars
import logging

from ._untrusted import redact

__all__ = ["PREFIXES", "PRODUCERS", "RedactingFilter", "attach", "wire_secret"]

wire_secret: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "mcp_gateway_tools_wire_secret", default=None
)

PREFIXES = ("mcp.", "fastmcp.", "httpx2", "httpcore2.", "sse_starlette.", "httpx_sse")
"""Logger names whose records can carry gateway text or request headers."""

PRODUCERS = (
    "client",  # mcp.client.session logs as "client" (notification validation errors)
    "fastmcp",
    "fastmcp.client.client",
    "fastmcp.client.from_server",
    "fastmcp.client.logging",
    "fastmcp.client.mixins.tools",
    "fastmcp.client.progress",
    "fastmcp.client.transports.http",
    "httpcore2.connection",
    "httpcore2.http11",
    "httpcore2.http2",
    "httpcore2.proxy",
    "httpcore2.socks",
    "httpx2",
    "mcp",
    "mcp.client.client",
    "mcp.client.session",
    "mcp.client.sse",
    "mcp.client.streamable_http",
    "mcp.shared.dispatcher",
    "mcp.shared.jsonrpc_dispatcher",
    "mcp.shared.session",
)
"""The loggers the client side of mcp, fastmcp, httpx2 and httpcore2 writes to."""


class RedactingFilter(logging.Filter):
    """Removes the current session's token from a record's message and exception text.

    A record whose message held the token gets the redacted text as ``msg`` (and no
    ``args``); one whose exception text held it gets the redacted text as
    ``exc_text`` and loses ``exc_info``, so no handler or error tracker reaches the
    frames (their locals hold headers) or formats the exception again.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        secret = wire_secret.get()
        if not secret:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the handler's to report, as usual
            return True
        cleaned = redact(message, [secret])
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info or record.exc_text:
            text = record.exc_text or _format_exception(record)
            cleaned = redact(text, [secret])
            if cleaned != text:
                record.exc_info, record.exc_text = None, cleaned
        return True


def _format_exception(record: logging.LogRecord) -> str:
    return logging.Formatter().formatException(record.exc_info) if record.exc_info else ""


_FILTER = RedactingFilter()


def attach() -> None:
    """Put the filter on every producer and every existing logger under PREFIXES.

    Idempotent and cheap (a pass over the logger registry); called at import and when
    a Gateway is built, by which time the client modules have created their loggers.
    """
    names = set(PRODUCERS)
    names.update(
        name for name in list(logging.root.manager.loggerDict) if name.startswith(PREFIXES)
    )
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


attach()
