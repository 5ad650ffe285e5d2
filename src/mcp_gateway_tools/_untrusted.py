"""Make gateway-supplied text safe to pass on (DESIGN §5).

Every string a gateway sends (error bodies, JSON-RPC messages, consent messages and
display names, a tool's error text) is hostile until it went through here:

- :func:`redact` removes the call's own token, which a careless or hostile gateway may
  quote back ("invalid token Bearer sk-..."), in the forms it is likely to appear in:
  raw, after ``Bearer``, percent-encoded (either case, ``+`` for space) and as JSON
  source may spell it (``\\/``, and any character as a ``\\u00XX`` escape).
- :func:`clean` makes text fit for one line of a model's context or a terminal:
  every whitespace run becomes one space, Unicode control and format characters
  (category Cc, Cf: NUL, ESC, DEL, C1, zero-width, bidi overrides like U+202E) are
  dropped, and the result is capped.
- :func:`sanitize` does both in the order that cannot leak: a token split by a
  zero-width character is joined by cleaning and then redacted, and capping comes last
  so it never leaves a redaction half done.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote, quote_plus

from pydantic import SecretStr

__all__ = [
    "MIN_SECRET",
    "REDACTED",
    "Secrets",
    "clean",
    "json_escaped_pattern",
    "redact",
    "sanitize",
]

REDACTED = "[redacted]"
"""What a removed token is replaced with."""

MIN_SECRET = 4
"""Shorter strings are not redacted: removing every ``ab`` from a message protects
nothing and destroys the message. Real gateway tokens are far longer."""

Secrets = Iterable[str | SecretStr | None]

_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
_ELLIPSIS = "…"


def _plain(secret: str | SecretStr | None) -> str | None:
    value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    return value if value and len(value) >= MIN_SECRET else None


@lru_cache(maxsize=256)
def json_escaped_pattern(secret: str) -> str:
    """A regex for ``secret`` as JSON source may spell it: each character itself or its
    ``\\u00XX`` escape (either case), ``/`` also as ``\\/``; the backslash may be
    doubled (the ``repr`` of such source, as a log line quotes it)."""
    parts = []
    for ch in secret:
        escape = f"\\\\+u(?i:{ord(ch):04x})"
        extra = r"|\\+/" if ch == "/" else ""
        parts.append(f"(?:{re.escape(ch)}|{escape}{extra})")
    return "".join(parts)


def _percent_pattern(encoded: str) -> str:
    """A regex for ``encoded`` whose %XX escapes match in either case."""
    parts = re.split(r"(%[0-9A-Fa-f]{2})", encoded)
    return "".join(f"%(?i:{p[1:]})" if p.startswith("%") else re.escape(p) for p in parts)


@lru_cache(maxsize=256)
def _pattern(secrets: tuple[str, ...]) -> re.Pattern[str]:
    """One regex matching every form of every secret, longest first.

    ``Bearer <t>`` is matched as a whole so the scheme goes too (the text then reads
    "invalid token [redacted]", not "invalid token Bearer [redacted]").
    """
    forms: set[str] = set()
    for secret in secrets:
        variants = {json_escaped_pattern(secret)}  # raw and \/ included
        for encoded in (quote(secret, safe=""), quote_plus(secret, safe="")):
            if encoded != secret:
                variants.add(_percent_pattern(encoded))
        for variant in variants:
            forms.add(variant)
            forms.add(r"(?i:bearer)(?:\s+|%20|\+)" + variant)
    ordered = sorted(forms, key=len, reverse=True)
    return re.compile("|".join(ordered))


def redact(text: str, secrets: Secrets) -> str:
    """``text`` with every form of each secret replaced by ``[redacted]``."""
    plain = tuple(sorted({s for s in map(_plain, secrets) if s is not None}))
    if not plain or not text:
        return text
    return _pattern(plain).sub(REDACTED, text)


def _normalise(text: str, budget: int) -> str:
    """Collapse whitespace and drop Cc/Cf/Cs characters; stop once ``budget`` is met.

    Working on a bounded prefix keeps a 900 KB message from costing more than the few
    hundred characters that will be kept.
    """
    out: list[str] = []
    size = 0
    pending_space = False
    for ch in text:
        if ch.isspace():
            pending_space = size > 0
            continue
        if unicodedata.category(ch) in _DROPPED_CATEGORIES:
            continue
        if pending_space:
            out.append(" ")
            size += 1
            pending_space = False
        out.append(ch)
        size += 1
        if size > budget:
            break
    return "".join(out)


def _cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + _ELLIPSIS


def clean(text: str, *, limit: int) -> str:
    """``text`` on one line, without control or format characters, at most ``limit`` long.

    Text cut short ends with an ellipsis, so a reader knows there was more.
    """
    return _cap(_normalise(text, limit), limit)


def sanitize(text: object, secrets: Secrets, *, limit: int) -> str:
    """Gateway text made safe: redacted, cleaned, redacted again, then capped.

    Accepts anything (a hostile body may put a number or a list where text belongs)
    and returns ``""`` for what is not a string.
    """
    if not isinstance(text, str) or not text:
        return ""
    secrets = tuple(secrets)
    # The slack lets a redaction shrink text that was longer than the limit.
    normalised = _normalise(redact(text, secrets), limit + 4096)
    return _cap(redact(normalised, secrets), limit)
