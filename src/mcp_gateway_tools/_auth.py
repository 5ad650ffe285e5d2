"""Recognise "authorization required" in each form a gateway may use.

Three wire forms lead to the one :class:`AuthorizationRequired`:

1. HTTP 401 with a JSON body whose ``error.type`` is ``McpAuthRequiredError``
   (TrueFoundry-style gateways; DESIGN §1);
2. JSON-RPC error ``-32042`` (URL elicitation required, MCP 2025-11-25) with
   ``data.elicitations[]`` of ``mode: "url"``;
3. URL-mode elicitation requests, as a 2026-07-28 ``input_required`` result carries
   them (or a server sends them mid-call).

Every link is checked to be an absolute http(s) URL before anyone can show it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from ._errors import AuthorizationRequired, InvalidAuthorizationUrl, ProtocolError

__all__ = [
    "SERVICE_TOKEN_NOTE",
    "from_elicitations",
    "from_gateway_body",
    "is_auth_required_body",
    "validate_url",
]

SERVICE_TOKEN_NOTE = (
    " This call used the gateway's service (virtual account) token, which cannot hold "
    "per-user OAuth grants: call with the end user's own token instead."
)

_MAX_URL = 8192


def validate_url(url: object, server: str) -> str:
    """Return ``url`` if it is an absolute http(s) URL, else raise InvalidAuthorizationUrl.

    Links reach a UI as clickable buttons, so ``javascript:``, ``data:`` and relative
    links are refused rather than passed on.
    """
    if not isinstance(url, str) or not url or len(url) > _MAX_URL:
        raise InvalidAuthorizationUrl(
            f"The gateway sent an authorization link for {server!r} that is not a URL.",
            server=server,
        )
    stripped = url.strip()
    try:
        parts = urlsplit(stripped)
        parts.port  # noqa: B018 - validates the host and port ("http://[", "https://h:x")
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.netloc
        or any(ch.isspace() or ord(ch) < 32 for ch in stripped)
    ):
        raise InvalidAuthorizationUrl(
            f"The gateway sent an authorization link for {server!r} that is not an absolute "
            "http(s) URL; it was refused.",
            server=server,
        )
    return stripped


def is_auth_required_body(body: Any) -> bool:
    """True for the gateway's consent-needed 401 body."""
    if not isinstance(body, Mapping):
        return False
    error = body.get("error")
    return isinstance(error, Mapping) and error.get("type") == "McpAuthRequiredError"


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def from_gateway_body(
    body: Mapping[str, Any], *, server: str, service_token: bool, status: int | None = 401
) -> AuthorizationRequired:
    """Build AuthorizationRequired from the gateway's 401 body (form 1).

    A body that asks for consent but gives no usable link is a ProtocolError: an
    observation without a link would leave the user stuck.
    """
    urls_raw = body.get("authorization_urls")
    if not isinstance(urls_raw, Mapping) or not urls_raw:
        raise ProtocolError(
            f"The gateway said {server!r} needs authorization but sent no authorization link.",
            server=server,
            status=status,
        )
    urls = {str(name): validate_url(url, str(name)) for name, url in urls_raw.items()}
    names_raw = body.get("server_names")
    names_map = names_raw if isinstance(names_raw, Mapping) else {}
    names = {name: _text(names_map.get(name)) or name for name in urls}
    error = body.get("error")
    message = (
        _text(body.get("message"))
        or (_text(error.get("message")) if isinstance(error, Mapping) else None)
        or f"Authorization is required for {', '.join(names.values())}."
    )
    if service_token:
        message += SERVICE_TOKEN_NOTE
    return AuthorizationRequired(
        message, authorization_urls=urls, server_names=names, server=server, status=status
    )


def from_elicitations(
    elicitations: Iterable[Any], *, server: str, service_token: bool, message: str | None = None
) -> AuthorizationRequired:
    """Build AuthorizationRequired from URL-mode elicitations (forms 2 and 3).

    Each elicitation is keyed by its id (or by the server name when it has none), and
    displayed under the server's name, since the protocol carries no display name.
    """
    urls: dict[str, str] = {}
    messages: list[str] = []
    for index, item in enumerate(elicitations):
        data = item if isinstance(item, Mapping) else getattr(item, "__dict__", {})
        if data.get("mode", "url") != "url":
            continue
        key = _text(data.get("elicitationId")) or _text(data.get("elicitation_id"))
        key = key or (server if index == 0 else f"{server}#{index + 1}")
        urls[key] = validate_url(data.get("url"), server)
        if (text := _text(data.get("message"))) is not None:
            messages.append(text)
    if not urls:
        raise ProtocolError(
            f"{server!r} asked for a URL elicitation but sent no URL to open.", server=server
        )
    # The elicitations' own messages say what to authorize; the error's is generic.
    text = (
        " ".join(dict.fromkeys(messages)) or message or f"Authorization is required for {server}."
    )
    if service_token:
        text += SERVICE_TOKEN_NOTE
    names = dict.fromkeys(urls, server)
    return AuthorizationRequired(text, authorization_urls=urls, server_names=names, server=server)
