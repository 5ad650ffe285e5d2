"""Extra request headers: static, per server, or computed per call; never Authorization.

Some gateways want more than the bearer token: LiteLLM reads a user's upstream
credential from ``x-mcp-<alias>-authorization`` on each request. Three layers, later
ones overriding earlier ones name by name (case-insensitively):

1. ``Gateway(headers={...})``: static, for every server;
2. ``servers={"x": Server(url, headers={...})}``: static, for one server;
3. ``Gateway(headers=fn)``: ``fn(server_alias)`` (sync or async) called at each call in
   the caller's context, so it can read the current request (a ContextVar, say).

Headers are checked every time they are produced: a valid field name, not
``Authorization`` (the token's one place) nor one the MCP client manages, a value of
visible ASCII with no CR/LF. Error messages name the header, never its value (it may
be a credential). Values are never logged. Since an open session keeps the headers it
connected with, they are part of the session identity (see ``Credential.identity``).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from ._errors import ConfigurationError

if TYPE_CHECKING:
    from ._addressing import Addressing

__all__ = ["HeaderItems", "HeaderProvider", "HeadersOption", "RequestHeaders", "check_headers"]

HeaderItems = tuple[tuple[str, str], ...]
"""Headers in canonical order (by lower-cased name): hashable, and stable for keys."""

HeaderProvider = Callable[[str], Mapping[str, str] | Awaitable[Mapping[str, str]] | None]
HeadersOption = Mapping[str, str] | HeaderProvider | None

_FIELD_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$")  # RFC 9110 token
_FIELD_VALUE = re.compile(r"^[\x20-\x7e\t]{0,8192}$")
_MANAGED = frozenset(
    {
        "accept",
        "connection",
        "content-length",
        "content-type",
        "host",
        "last-event-id",
        "mcp-protocol-version",
        "mcp-session-id",
        "transfer-encoding",
    }
)


def check_headers(headers: object, *, where: str) -> dict[str, str]:
    """Validate extra headers; return them as a plain dict (a fresh copy)."""
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise ConfigurationError(
            f"{where} must be a mapping of header name -> value, not {type(headers).__name__}."
        )
    out: dict[str, str] = {}
    seen: set[str] = set()
    for name, value in headers.items():
        if not isinstance(name, str) or not _FIELD_NAME.match(name):
            raise ConfigurationError(f"{where}: a header name is not a valid HTTP field name.")
        low = name.lower()
        if low == "authorization":
            raise ConfigurationError(
                f"{where}: the Authorization header cannot be set or overridden; it carries "
                "the gateway token (pass token= or bind user_token())."
            )
        if low in _MANAGED:
            raise ConfigurationError(f"{where}: {name!r} is managed by the MCP client.")
        if low in seen:
            raise ConfigurationError(f"{where}: header {name!r} is given twice.")
        if not isinstance(value, str) or not _FIELD_VALUE.match(value):
            raise ConfigurationError(
                f"{where}: the value of header {name!r} must be a str of visible ASCII "
                "characters, without CR or LF (the value is not shown)."
            )
        seen.add(low)
        out[name] = value
    return out


def _merge(*layers: Mapping[str, str]) -> HeaderItems:
    merged: dict[str, tuple[str, str]] = {}
    for layer in layers:
        for name, value in layer.items():
            merged[name.lower()] = (name, value)
    return tuple(merged[k] for k in sorted(merged))


class RequestHeaders:
    """The extra headers of one call to one server."""

    def __init__(self, headers: HeadersOption, addressing: Addressing) -> None:
        self._addressing = addressing
        self._provider: HeaderProvider | None = None
        self._static: dict[str, str] = {}
        if isinstance(headers, Mapping):
            self._static = check_headers(headers, where="headers=")
        elif callable(headers):
            self._provider = headers
        elif headers is not None:
            raise ConfigurationError(
                "headers= must be a mapping of header name -> value, or a callable "
                f"(server_alias) -> mapping; not {type(headers).__name__}."
            )

    @property
    def dynamic(self) -> bool:
        """Whether headers are computed per call (a provider was given)."""
        return self._provider is not None

    def static_for(self, server: str) -> HeaderItems:
        """The headers known without calling the provider."""
        return _merge(self._static, self._addressing.server_headers(server))

    async def for_call(self, server: str) -> HeaderItems:
        """All extra headers for a call to ``server`` now, provider included."""
        if self._provider is None:
            return self.static_for(server)
        produced = self._provider(server)
        if inspect.isawaitable(produced):
            produced = await produced
        computed = check_headers(produced, where="The headers= provider's result")
        return _merge(self._static, self._addressing.server_headers(server), computed)
