"""Show "authorization required" in Jupyter as clickable links.

>>> from mcp_gateway_tools.notebook import show_authorization
>>> show_authorization(tool_message)        # or an observation dict, an event, an exception

Accepted: :class:`~mcp_gateway_tools.AuthorizationRequired`; the observation dict
(``{"type": "authorization_required", ...}``) or the LangChain event payload; a
LangChain ``ToolMessage`` (its ``artifact``) or a LlamaIndex ``ToolOutput`` (its
``raw_output``); a LlamaIndex ``AuthorizationRequiredEvent``; any object with
``authorization_urls`` / ``server_names`` / ``message`` attributes.

Every link is checked again here: only absolute http(s) URLs are rendered, anything
else (``javascript:``, ``data:``, relative) raises
:class:`~mcp_gateway_tools.InvalidAuthorizationUrl`; every text is HTML-escaped.
Outside IPython, :func:`show_authorization` prints plain text instead.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._auth import validate_url
from ._errors import AuthorizationRequired

__all__ = ["AuthorizationLinks", "authorization_links", "show_authorization"]


@dataclass(frozen=True)
class AuthorizationLinks:
    """Validated consent links, with display names; renders as HTML, Markdown or text."""

    authorization_urls: dict[str, str]
    server_names: dict[str, str] = field(default_factory=dict)
    message: str = ""

    def __post_init__(self) -> None:
        checked = {str(k): validate_url(v, str(k)) for k, v in self.authorization_urls.items()}
        object.__setattr__(self, "authorization_urls", checked)

    def _items(self) -> list[tuple[str, str]]:
        return [(self.server_names.get(k) or k, url) for k, url in self.authorization_urls.items()]

    def _repr_html_(self) -> str:
        rows = "".join(
            f'<li><a href="{html.escape(url, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer">Authorize {html.escape(name)}</a> '
            f"<code>{html.escape(url)}</code></li>"
            for name, url in self._items()
        )
        message = html.escape(self.message or "Authorization required.")
        return (
            '<div class="mcp-gateway-authorization">'
            f"<p><strong>{message}</strong></p><ul>{rows}</ul>"
            "<p>Open each link, approve, then run the call again.</p></div>"
        )

    def _repr_markdown_(self) -> str:
        lines = [f"**{_md(self.message or 'Authorization required.')}**", ""]
        lines += [
            f"- [Authorize {_md(name)}](<{url.replace('<', '%3C').replace('>', '%3E')}>)"
            for name, url in self._items()
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        lines = [self.message or "Authorization required."]
        lines += [f"  {name}: {url}" for name, url in self._items()]
        return "\n".join(lines)


def _md(text: str) -> str:
    escaped = html.escape(text, quote=False)
    for char in "\\`*_[]()<>#!|":
        escaped = escaped.replace(char, "\\" + char)
    return escaped


def _fields(source: Any) -> tuple[Any, Any, Any] | None:
    if isinstance(source, Mapping):
        if "authorization_urls" not in source:
            return None
        return source["authorization_urls"], source.get("server_names"), source.get("message")
    if hasattr(source, "authorization_urls"):
        return (
            source.authorization_urls,
            getattr(source, "server_names", None),
            getattr(source, "message", None),
        )
    return None


def authorization_links(source: Any) -> AuthorizationLinks:
    """Extract and validate the links of ``source`` (see the module docstring).

    Raises ``ValueError`` when ``source`` carries no authorization request, and
    :class:`~mcp_gateway_tools.InvalidAuthorizationUrl` for a link that is not an
    absolute http(s) URL.
    """
    if isinstance(source, AuthorizationRequired):
        return AuthorizationLinks(source.authorization_urls, source.server_names, source.message)
    found = _fields(source)
    for inner in ("artifact", "raw_output"):  # ToolMessage, ToolOutput
        if found is None and hasattr(source, inner):
            found = _fields(getattr(source, inner))
    if found is None:
        raise ValueError(
            f"{type(source).__name__} carries no authorization request (no 'authorization_urls')"
        )
    urls, names, message = found
    if not isinstance(urls, Mapping) or not urls:
        raise ValueError("the authorization request has no links")
    return AuthorizationLinks(
        {str(k): v for k, v in urls.items()},
        {str(k): str(v) for k, v in (names or {}).items()},
        str(message or ""),
    )


def show_authorization(source: Any) -> AuthorizationLinks:
    """Display the links of ``source`` as clickable links (IPython) or print them.

    Returns the :class:`AuthorizationLinks` shown.
    """
    links = authorization_links(source)
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        print(links)
        return links
    if get_ipython() is None:
        print(links)
    else:
        display(links)  # type: ignore[no-untyped-call]
    return links
