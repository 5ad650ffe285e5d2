"""How a classified failure leaves the core, and what of it is kept.

The exception a failed request raised (and everything chained to it) holds frames of
the HTTP client whose locals include the request headers. So the typed error is cut
loose from it (:func:`detached`) and keeps only a description (:func:`cause_of`):
the type names and a redacted message, for a DEBUG log line and for whoever debugs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import mcp_types
from pydantic import SecretStr

from ._errors import GatewayError
from ._tokens import Credential
from ._untrusted import redact, sanitize

__all__ = ["addressed_by_path", "cause_of", "detached", "masked", "redacted_result"]


def addressed_by_path(base_url: str | None) -> bool:
    """Whether ``base_url`` has a path (``http://h/mcp``), the shape of a pasted endpoint:
    then a 404 at connect more likely means a wrong URL shape than a wrong server name."""
    return bool(base_url) and urlsplit(base_url or "").path.strip("/") != ""


def cause_of(exc: BaseException, credential: Credential) -> tuple[str, str]:
    """The underlying failure's type name and message, redacted: kept for debugging."""
    root: BaseException = exc
    current: BaseException | None = exc
    seen: set[int] = set()
    for _ in range(12):  # the innermost cause names the real failure; chains can loop
        if current is None or id(current) in seen:
            break
        seen.add(id(current))
        group = current.exceptions if isinstance(current, BaseExceptionGroup) else ()
        if not group:
            root = current
        current = group[0] if group else current.__cause__ or current.__context__
    name = type(exc).__name__ if root is exc else f"{type(exc).__name__} <- {type(root).__name__}"
    return name, sanitize(str(root), (credential.secret,), limit=300)


def detached(error: GatewayError, cause: tuple[str, str]) -> GatewayError:
    """``error`` cut loose from the failure it was classified from.

    A GatewayError raised inside the session (a consent request) carries a traceback
    through the client's frames; it is dropped here, with its links to other
    exceptions, so that nothing reachable from the raised error holds the headers.
    """
    error.__cause__ = None
    error.__context__ = None
    error.__suppress_context__ = True
    error.__traceback__ = None
    if error.cause_type is None and cause[0]:
        error.cause_type, error.cause_message = cause
    return error


def redacted_result(raw: Any, secrets: tuple[Any, ...]) -> Any:
    """An ``isError`` result with the call's token removed from its text blocks.

    A successful result is the tool's own answer and is left alone. The transport
    already removed the token from an error result's bytes; this catches a token
    spelled with JSON ``\\u`` escapes, which only decoding reveals.
    """
    if not raw.is_error:
        return raw
    blocks = list(raw.content)
    changed = False
    for index, block in enumerate(blocks):
        if isinstance(block, mcp_types.TextContent):
            text = redact(block.text, secrets)
            if text != block.text:
                blocks[index] = block.model_copy(update={"text": text})
                changed = True
    return raw.model_copy(update={"content": blocks}) if changed else raw


def masked(token: Any) -> Any:
    """A plain ``str`` token as a SecretStr; anything else (SecretStr, provider) as is.

    Called first in the public methods: an error's traceback passes their frames, and a
    locals-capturing error tracker must find ``**********`` there, not the token.
    """
    return SecretStr(token) if isinstance(token, str) else token
