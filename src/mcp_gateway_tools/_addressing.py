"""Gateway URLs and server names.

A gateway serves each MCP server at ``{base}/mcp/{name}/server``. Users may paste either
the base URL or a full server URL from the gateway's UI; server names are checked so
that none can step outside that path (``../``, ``/``, a query, another host).
"""

from __future__ import annotations

import re

from ._errors import ConfigurationError

__all__ = ["parse_gateway_url", "server_name"]

_SERVER_URL = re.compile(r"^(?P<base>https?://.+?)/mcp/(?P<name>[^/]+)/server/?$")
_SERVER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$")
_ABSOLUTE = re.compile(r"^https?://[^/\s]+")


def parse_gateway_url(url: str) -> tuple[str, str | None]:
    """Split ``url`` into (base URL, server name if it was a full server URL)."""
    url = url.strip()
    if not _ABSOLUTE.match(url):
        raise ConfigurationError(f"Gateway URL must be an absolute http(s) URL, got {url!r}.")
    match = _SERVER_URL.match(url)
    if match is not None:
        return match["base"].rstrip("/"), match["name"]
    return url.rstrip("/"), None


def server_name(server: str | None, *, base_url: str, default: str | None) -> str:
    """Normalise a server name or full server URL on ``base_url`` to a validated name."""
    if server is None:
        if default is None:
            raise ConfigurationError("Name a server: this Gateway was given a base URL.")
        return default
    match = _SERVER_URL.match(server.strip())
    if match is not None:
        if match["base"].rstrip("/") != base_url:
            raise ConfigurationError(f"{server!r} is not on this gateway ({base_url}).")
        server = match["name"]
    if not _SERVER_NAME.match(server):
        raise ConfigurationError(f"{server!r} is not a valid gateway server name.")
    return server
