"""Where each server is: the URL template, the alias map, and server-name checks.

Gateways put servers at different URLs (DESIGN §2): TrueFoundry at
``{base}/mcp/{name}/server`` (the default template), ContextForge at
``{base}/servers/{uuid}/mcp``, LiteLLM at ``{base}/mcp/{name}``, a plain MCP server at
``http://host:port/mcp``. Two options cover them all:

- ``endpoint_template``: how a server *name* becomes a URL on the gateway's base URL;
- ``servers``: alias -> absolute URL of any shape (optionally with its own headers).

An alias is the name used everywhere else (tool prefixes, messages, events, logs). A
name that is not an alias goes through the template, and is checked so that it can
never step outside its place in the template (``../``, ``/``, a query, another host).
:class:`Addressing` is the one place names become URLs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ._errors import ConfigurationError
from ._headers import check_headers

if TYPE_CHECKING:
    from .oauth._config import OAuth

__all__ = [
    "DEFAULT_TEMPLATE",
    "Addressing",
    "Server",
    "ServerOption",
    "check_server_url",
    "parse_gateway_url",
]

DEFAULT_TEMPLATE = "{base}/mcp/{server}/server"

_SERVER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$")
_NAME_RULE = "letters, digits and . _ ~ - (starting with a letter or digit, at most 128)"


@dataclass(frozen=True)
class Server:
    """One server reached at its own absolute ``url``, with optional extra ``headers``.

    ``headers`` are sent on every request to this server only (never Authorization);
    they add to, and override, the Gateway's static ``headers=``. ``oauth`` opts the
    server in to OAuth run by the app for each of its users
    (:class:`~mcp_gateway_tools.oauth.OAuth`; the Gateway needs ``oauth=OAuthClient``).

    >>> Gateway(servers={"docs": Server("http://127.0.0.1:3001/mcp", headers={"x-team": "a"})})
    """

    url: str
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    oauth: OAuth | None = None


ServerOption = str | Server | Mapping[str, Any]
"""What ``servers=`` values may be: a URL, a :class:`Server`, or ``{"url", "headers"}``."""


def check_server_url(url: object, *, what: str) -> str:
    """An absolute http(s) URL with a host, no userinfo, no whitespace; else a clear error.

    The URL is not echoed when it carries userinfo (it may hold a password).
    """
    if not isinstance(url, str):
        raise ConfigurationError(f"{what} must be a URL string, not {type(url).__name__}.")
    url = url.strip()
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise ConfigurationError(f"{what} must not contain whitespace or control characters.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise ConfigurationError(f"{what} is not a valid URL: {url!r}.") from None
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError(f"{what} must not carry a user name or password.")
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigurationError(
            f"{what} must be an absolute http(s) URL with a host, got {url!r}."
        )
    return url


def _check_template(template: str) -> None:
    """``{server}`` exactly once, ``{base}`` at most once, no other braces."""
    if not isinstance(template, str) or template.count("{server}") != 1:
        raise ConfigurationError("endpoint_template must contain '{server}' exactly once.")
    if template.count("{base}") > 1:
        raise ConfigurationError("endpoint_template may contain '{base}' at most once.")
    rest = template.replace("{server}", "").replace("{base}", "")
    if "{" in rest or "}" in rest:
        raise ConfigurationError(
            "endpoint_template may only use the placeholders '{base}' and '{server}'."
        )
    sample = template.replace("{base}", "http://gateway.invalid").replace("{server}", "name")
    check_server_url(sample, what="endpoint_template (filled in)")


def _template_pattern(template: str) -> re.Pattern[str]:
    """A regex matching a URL of the template's shape, capturing base and name."""
    out = []
    for piece in re.split(r"(\{base\}|\{server\})", template):
        if piece == "{base}":
            out.append(r"(?P<base>https?://.+?)")
        elif piece == "{server}":
            out.append(r"(?P<name>[^/?#]+)")
        else:
            out.append(re.escape(piece))
    return re.compile("^" + "".join(out).removesuffix("/") + "/?$")


def parse_gateway_url(url: str, template: str = DEFAULT_TEMPLATE) -> tuple[str, str | None]:
    """Split ``url`` into (base URL, server name if it was a full server URL).

    A URL of the template's shape (for the default template, one copied from the
    gateway's UI, ``.../mcp/<name>/server``) gives its base and sets the default server.
    """
    url = check_server_url(url, what="The gateway URL")
    if "{base}" in template:
        match = _template_pattern(template).match(url)
        if match is not None and _SERVER_NAME.match(match["name"]):
            return match["base"].rstrip("/"), match["name"]
    return url.rstrip("/"), None


def _server_entry(alias: object, option: object) -> Server:
    if not isinstance(alias, str) or not _SERVER_NAME.match(alias):
        raise ConfigurationError(
            f"servers= alias {alias!r} is not a valid server name: use {_NAME_RULE}."
        )
    what = f"The URL of server {alias!r}"
    if isinstance(option, str):
        return Server(check_server_url(option, what=what))
    if isinstance(option, Server):
        url, headers, oauth = option.url, option.headers, option.oauth
    elif isinstance(option, Mapping):
        unknown = set(option) - {"url", "headers", "oauth"}
        if unknown or "url" not in option:
            raise ConfigurationError(
                f"servers[{alias!r}] must be a URL, a Server, or a mapping with 'url' and "
                "optional 'headers' and 'oauth'."
            )
        url, headers, oauth = option["url"], option.get("headers") or {}, option.get("oauth")
    else:
        raise ConfigurationError(
            f"servers[{alias!r}] must be a URL, a Server, or {{'url': ..., 'headers': ...}}, "
            f"not {type(option).__name__}."
        )
    checked = check_headers(headers, where=f"servers[{alias!r}] headers")
    if oauth is not None:
        from .oauth._config import OAuth  # only for servers that opted in

        if not isinstance(oauth, OAuth):
            raise ConfigurationError(f"servers[{alias!r}] oauth= must be an OAuth(...).")
    return Server(check_server_url(url, what=what), checked, oauth)


class Addressing:
    """Names -> endpoint URLs for one Gateway, validated once at construction."""

    def __init__(
        self,
        url: str | None,
        *,
        endpoint_template: str = DEFAULT_TEMPLATE,
        servers: Mapping[str, ServerOption] | None = None,
    ) -> None:
        _check_template(endpoint_template)
        self.template = endpoint_template
        if servers is not None and not isinstance(servers, Mapping):
            raise ConfigurationError("servers= must map alias -> server URL.")
        self.servers: dict[str, Server] = {
            alias: _server_entry(alias, option) for alias, option in (servers or {}).items()
        }
        self.base_url: str | None = None
        self.default_server: str | None = None
        if url is not None:
            self.base_url, self.default_server = parse_gateway_url(url, endpoint_template)
        elif not self.servers:
            raise ConfigurationError(
                "Give the gateway's URL (Gateway(url)) or the servers' URLs (servers={...})."
            )
        elif len(self.servers) == 1:
            [self.default_server] = self.servers
        self._pattern = _template_pattern(endpoint_template)
        self._by_url = {entry.url.rstrip("/"): alias for alias, entry in self.servers.items()}

    def _known(self) -> str:
        return ", ".join(sorted(self.servers)) or "none"

    def name(self, server: str | None) -> str:
        """Normalise ``server`` (an alias, a name, or a full server URL) to a valid name."""
        if server is None:
            if self.default_server is None:
                raise ConfigurationError(
                    "Name a server: this Gateway was given a base URL"
                    + (f" (known aliases: {self._known()})." if self.servers else ".")
                )
            return self.default_server
        if not isinstance(server, str):
            raise ConfigurationError(f"A server name must be a str, not {type(server).__name__}.")
        server = server.strip()
        if server in self.servers:
            return server
        if "://" in server:
            return self._name_of_url(server)
        if not _SERVER_NAME.match(server):
            raise ConfigurationError(f"{server!r} is not a valid gateway server name.")
        if self.base_url is None and "{base}" in self.template:
            raise ConfigurationError(
                f"Unknown server {server!r}: this Gateway has no base URL, so only its "
                f"servers= aliases can be reached (known aliases: {self._known()})."
            )
        return server

    def _name_of_url(self, url: str) -> str:
        """The alias or template name of a full server URL on this gateway."""
        alias = self._by_url.get(url.rstrip("/"))
        if alias is not None:
            return alias
        match = self._pattern.match(url)
        if match is not None:
            base = match.groupdict().get("base")
            if base is None or base.rstrip("/") == self.base_url:
                name = match["name"]
                if _SERVER_NAME.match(name):
                    return name
        where = self.base_url or f"servers: {self._known()}"
        raise ConfigurationError(f"{url!r} is not on this gateway ({where}).")

    def endpoint(self, server: str | None) -> str:
        """The streamable-HTTP URL of ``server``: its alias URL, else the template."""
        name = self.name(server)
        entry = self.servers.get(name)
        if entry is not None:
            return entry.url
        return self.template.replace("{base}", self.base_url or "").replace("{server}", name)

    def oauth(self, name: str) -> OAuth | None:
        """The app-run OAuth of one alias, if it opted in (template names never do)."""
        entry = self.servers.get(name)
        return entry.oauth if entry is not None else None

    def server_headers(self, name: str) -> Mapping[str, str]:
        """The static headers configured for one alias (empty for template names)."""
        entry = self.servers.get(name)
        return entry.headers if entry is not None else {}
