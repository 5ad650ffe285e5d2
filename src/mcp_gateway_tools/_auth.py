"""Recognise "authorization required" in each form a gateway may use.

Four wire forms lead to the one :class:`AuthorizationRequired`:

1. HTTP 401 with a JSON body whose ``error.type`` is ``McpAuthRequiredError``
   (TrueFoundry-style gateways; DESIGN §1);
2. JSON-RPC error ``-32042`` (URL elicitation required, MCP 2025-11-25) with
   ``data.elicitations[]`` of ``mode: "url"``;
3. URL-mode elicitation requests, as a 2026-07-28 ``input_required`` result carries
   them (or a server sends them mid-call);
4. ContextForge's HTTP 200 ``isError`` text "Tool invocation failed: Please authorize
   <name> first. Visit /oauth/authorize/<id> to complete OAuth flow." (relative link).

A fifth, a 401 whose ``WWW-Authenticate`` carries an OAuth challenge, is
:class:`OAuthRequired`: the client, not the user at a consent page, must act.

Every link is checked (:func:`validate_url`) before anyone can show it, and every name
and message goes through :mod:`._untrusted` with the call's token.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import mcp_types

from ._errors import (
    AuthorizationRequired,
    InsufficientScope,
    InvalidAuthorizationUrl,
    OAuthRequired,
    ProtocolError,
)
from ._links import MAX_LINKS, MAX_MESSAGE, MAX_NAME, origin_of
from ._untrusted import Secrets, redact, sanitize

__all__ = [
    "SERVICE_TOKEN_NOTE",
    "from_elicitations",
    "from_gateway_body",
    "from_oauth_challenge",
    "from_scope_challenge",
    "from_tool_result",
    "is_auth_required_body",
    "validate_url",
]

SERVICE_TOKEN_NOTE = (
    " This call used the gateway's service (virtual account) token, which cannot hold "
    "per-user OAuth grants: call with the end user's own token instead."
)

_MAX_URL = 8192
_HOST = re.compile(r"[a-z0-9.-]+|\[[0-9a-f:.]+\]")


def _refuse(server: str, why: str) -> InvalidAuthorizationUrl:
    return InvalidAuthorizationUrl(
        f"The gateway sent an authorization link for {server!r} that {why}; it was refused.",
        server=server,
    )


def _ascii_host(host: str) -> str | None:
    """``host`` in its ASCII (punycode) form, lower case; None if it is no host name.

    Showing ``xn--pple-43d.com`` rather than a look-alike ``аpple.com`` lets a reader
    see where the link really goes.
    """
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    return ascii_host if _HOST.fullmatch(ascii_host) else None


def validate_url(url: object, server: str, *, secrets: Secrets = ()) -> str:
    """Return ``url`` if it is a link fit to show, else raise InvalidAuthorizationUrl.

    Links reach a UI as clickable buttons, so only an absolute http(s) URL with a host
    name is accepted: no userinfo (``https://good.example%2F@evil.example/``), no
    backslash (browsers read it as ``/``), no control or format character (bidi
    overrides, DEL, C1), and never the call's own token. The host is returned in
    punycode.
    """
    if not isinstance(url, str) or not url or len(url) > _MAX_URL:
        raise _refuse(server, "is not a URL")
    stripped = url.strip()
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in stripped):
        raise _refuse(server, "contains control, format or space characters")
    if "\\" in stripped:
        raise _refuse(server, "contains a backslash")
    if redact(stripped, secrets) != stripped:
        raise _refuse(server, "contains the caller's token")
    try:
        parts = urlsplit(stripped)
        port = parts.port  # validates the port ("https://h:x", "https://h:99999")
    except ValueError:
        raise _refuse(server, "is not an absolute http(s) URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise _refuse(server, "is not an absolute http(s) URL")
    if "@" in parts.netloc:
        raise _refuse(server, "carries a user name or password")
    host = _ascii_host(parts.hostname or "")
    if not host or host.strip(".") == "":
        raise _refuse(server, "has no host name")
    netloc = host if port is None else f"{host}:{port}"
    if netloc == parts.netloc and parts.scheme.islower():
        return stripped
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))


def is_auth_required_body(body: Any) -> bool:
    """True for the gateway's consent-needed 401 body."""
    if not isinstance(body, Mapping):
        return False
    error = body.get("error")
    return isinstance(error, Mapping) and error.get("type") == "McpAuthRequiredError"


def _text(value: Any, secrets: Secrets, limit: int = MAX_MESSAGE) -> str | None:
    return sanitize(value, secrets, limit=limit) or None


def _links(
    pairs: Iterable[tuple[str, Any]], server: str, secrets: Secrets
) -> tuple[dict[str, str], int]:
    """The first MAX_LINKS links, validated; the number of the others, not looked at."""
    urls: dict[str, str] = {}
    omitted = 0
    for key, url in pairs:
        if len(urls) >= MAX_LINKS:
            omitted += 1
            continue
        name = sanitize(str(key), secrets, limit=MAX_NAME) or server
        urls[name] = validate_url(url, name, secrets=secrets)
    return urls, omitted


def from_gateway_body(
    body: Mapping[str, Any],
    *,
    server: str,
    service_token: bool,
    status: int | None = 401,
    secrets: Secrets = (),
    origin: str | None = None,
) -> AuthorizationRequired:
    """Build AuthorizationRequired from the gateway's 401 body (form 1).

    A body that asks for consent but gives no usable link is a ProtocolError: an
    observation without a link would leave the user stuck.
    """
    secrets = tuple(secrets)
    urls_raw = body.get("authorization_urls")
    if not isinstance(urls_raw, Mapping) or not urls_raw:
        raise ProtocolError(
            f"The gateway said {server!r} needs authorization but sent no authorization link.",
            server=server,
            status=status,
        )
    urls, omitted = _links(((str(k), v) for k, v in urls_raw.items()), server, secrets)
    names_raw = body.get("server_names")
    names_map = names_raw if isinstance(names_raw, Mapping) else {}
    names = {name: _text(names_map.get(name), secrets, MAX_NAME) or name for name in urls}
    error = body.get("error")
    message = (
        _text(body.get("message"), secrets)
        or (_text(error.get("message"), secrets) if isinstance(error, Mapping) else None)
        or f"Authorization is required for {', '.join(names.values())}."
    )
    if service_token:
        message += SERVICE_TOKEN_NOTE
    return AuthorizationRequired(
        message,
        authorization_urls=urls,
        server_names=names,
        server=server,
        status=status,
        origin=origin,
        omitted_links=omitted,
    )


def from_elicitations(
    elicitations: Iterable[Any],
    *,
    server: str,
    service_token: bool,
    message: str | None = None,
    secrets: Secrets = (),
    origin: str | None = None,
) -> AuthorizationRequired:
    """Build AuthorizationRequired from URL-mode elicitations (forms 2 and 3).

    Each elicitation is keyed by its id (or by the server name when it has none), and
    displayed under the server's name, since the protocol carries no display name.
    """
    secrets = tuple(secrets)
    pairs: list[tuple[str, Any]] = []
    messages: list[str] = []
    for index, item in enumerate(elicitations):
        data = item if isinstance(item, Mapping) else getattr(item, "__dict__", {})
        if data.get("mode", "url") != "url":
            continue
        key = _text(data.get("elicitationId"), secrets, MAX_NAME) or _text(
            data.get("elicitation_id"), secrets, MAX_NAME
        )
        pairs.append((key or (server if index == 0 else f"{server}#{index + 1}"), data.get("url")))
        if len(messages) < MAX_LINKS and (text := _text(data.get("message"), secrets)):
            messages.append(text)
    urls, omitted = _links(pairs, server, secrets)
    if not urls:
        raise ProtocolError(
            f"{server!r} asked for a URL elicitation but sent no URL to open.", server=server
        )
    # The elicitations' own messages say what to authorize; the error's is generic.
    text = (
        sanitize(" ".join(dict.fromkeys(messages)), secrets, limit=MAX_MESSAGE)
        or _text(message, secrets)
        or f"Authorization is required for {server}."
    )
    if service_token:
        text += SERVICE_TOKEN_NOTE
    return AuthorizationRequired(
        text,
        authorization_urls=urls,
        server_names=dict.fromkeys(urls, server),
        server=server,
        origin=origin,
        omitted_links=omitted,
    )


# -- ContextForge's isError text (form 4) ------------------------------------------------

_CONTEXTFORGE = re.compile(
    r"Tool invocation failed: Please authorize (?P<name>[^\r\n]{1,200}?) first\. "
    r"Visit (?P<link>(?:https?://[^\s/]+)?(?:/[\w.~-]+)*/oauth/authorize/[\w.~-]{1,200}) "
    r"to complete OAuth flow\."
)


def _contextforge_link(link: str, origin: str) -> str | None:
    """The absolute link, if ``link`` is relative or on the gateway's own origin."""
    absolute = urljoin(origin, link)
    if origin_of(absolute) != origin_of(origin) or link.startswith("//"):
        return None
    return absolute


def from_tool_result(
    result: mcp_types.CallToolResult,
    *,
    server: str,
    service_token: bool,
    origin: str,
    secrets: Secrets = (),
) -> AuthorizationRequired | None:
    """AuthorizationRequired for ContextForge's "Please authorize first" result, or None.

    Only an ``isError`` result whose whole text is that sentence qualifies, and only
    with a relative link or one on the gateway's origin: a downstream tool that prints
    the sentence with a link elsewhere stays a plain error result (no consent button).
    """
    if not result.is_error or len(result.content) != 1:
        return None
    block = result.content[0]
    text = block.text.strip() if isinstance(block, mcp_types.TextContent) else ""
    match = _CONTEXTFORGE.fullmatch(text) if len(text) < 1024 else None
    if match is None:
        return None
    link = _contextforge_link(match["link"], origin)
    if link is None:
        return None
    secrets = tuple(secrets)
    name = sanitize(match["name"], secrets, limit=MAX_NAME) or server
    home = urlsplit(link)
    message = (
        f"{name} needs the user's authorization. The link opens on the gateway "
        f"({home.scheme}://{home.netloc}): the user must be signed in to the gateway "
        "in their browser to open it."
    )
    if service_token:
        message += SERVICE_TOKEN_NOTE
    return AuthorizationRequired(
        message,
        authorization_urls={server: validate_url(link, server, secrets=secrets)},
        server_names={server: name},
        server=server,
        status=200,
        origin=origin,
    )


# -- OAuth challenges (401 WWW-Authenticate) --------------------------------------------

_PARAM = re.compile(r'([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.){0,8192})"|([^\s,]{0,8192}))')


def challenge_params(header: object) -> dict[str, str]:
    """The auth-params of a ``WWW-Authenticate`` Bearer challenge (lower-case keys)."""
    if not isinstance(header, str) or not header.lower().lstrip().startswith("bearer"):
        return {}
    params: dict[str, str] = {}
    for key, quoted, bare in _PARAM.findall(header[:16384]):
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted else bare
        params.setdefault(key.lower(), value)
    return params


def from_oauth_challenge(
    header: object, *, server: str, secrets: Secrets = ()
) -> OAuthRequired | None:
    """OAuthRequired if ``header`` is an OAuth challenge naming where to authorize.

    A bare ``Bearer error="invalid_token"`` (RFC 6750's answer to a bad token) is not
    one: only a challenge with ``resource_metadata`` or ``authorization_uri`` is. Nor is
    ``error="invalid_token"`` with only a ``resource_metadata``: the token sent was
    rejected, and the metadata merely says where tokens come from (LiteLLM answers a bad
    key so, measured by ``tests/interop``); that stays :class:`InvalidToken`.
    """
    params = challenge_params(header)
    secrets = tuple(secrets)

    def link(name: str) -> str | None:
        try:
            return validate_url(params[name], server, secrets=secrets) if name in params else None
        except InvalidAuthorizationUrl:
            return None

    metadata, authorize = link("resource_metadata"), link("authorization_uri")
    if metadata is None and authorize is None:
        return None
    if authorize is None and params.get("error", "").lower() == "invalid_token":
        return None
    where = authorize or metadata
    return OAuthRequired(
        f"{server!r} needs an OAuth authorization that this gateway does not hold for the "
        f"caller: the gateway accepted the token, but the server asks the client to run "
        f"OAuth (see {where}). Another gateway token will not help.",
        resource_metadata_url=metadata,
        authorization_uri=authorize,
        scope=sanitize(params.get("scope"), secrets, limit=MAX_NAME * 4) or None,
        server=server,
        status=401,
    )


def from_scope_challenge(
    header: object, *, server: str, secrets: Secrets = ()
) -> InsufficientScope | None:
    """InsufficientScope for a 403 ``Bearer error="insufficient_scope"`` challenge, or None.

    RFC 6750 §3.1 / MCP scope step-up: the token is fine, its grant too small; ``scope``
    is what the operation needs.
    """
    params = challenge_params(header)
    if params.get("error", "").lower() != "insufficient_scope":
        return None
    secrets = tuple(secrets)
    try:
        metadata = (
            validate_url(params["resource_metadata"], server, secrets=secrets)
            if "resource_metadata" in params
            else None
        )
    except InvalidAuthorizationUrl:
        metadata = None
    scope = sanitize(params.get("scope"), secrets, limit=MAX_NAME * 4) or None
    return InsufficientScope(
        f"{server!r} refused the call: the grant lacks the scope it needs"
        + (f" ({scope})." if scope else "."),
        scope=scope,
        resource_metadata_url=metadata,
        server=server,
    )
