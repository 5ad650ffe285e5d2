"""Looking for a token everywhere it must not be (DESIGN §5).

``forbidden_forms(token)`` lists what counts as the token: the token itself, its
base64 (standard and URL-safe, at each of the three alignments it could have inside a
longer base64 string) and its unkeyed SHA-256 / SHA-1 / MD5 hex digests (a plain hash
is a reusable identifier; our fingerprints are keyed HMACs and are not in the list).
``Haystack`` collects every object a scenario produced and renders each one every way
a person or a tool could see it: ``repr``, ``str``, exception chains and arguments,
and JSON where it serializes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any


def forbidden_forms(token: str) -> list[str]:
    forms = {token}
    raw = token.encode()
    for pad in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * pad + raw).decode().rstrip("=")
            # Drop the characters that mix in the padding bytes or the next byte.
            start = (pad * 4 + 2) // 3
            forms.add(encoded[start:-2])
    for algorithm in ("sha256", "sha1", "md5"):
        forms.add(hashlib.new(algorithm, raw).hexdigest())
    return sorted(f for f in forms if len(f) >= 12)


class Haystack:
    """Everything a scenario produced, rendered as text."""

    def __init__(self) -> None:
        self.objects: list[Any] = []
        self.texts: list[str] = []

    def add(self, *objects: Any) -> None:
        self.objects.extend(objects)

    def add_text(self, *texts: str) -> None:
        self.texts.extend(texts)

    def add_logs(self, records: Iterable[logging.LogRecord], text: str) -> None:
        self.texts.append(text)  # caplog.text: formatted, with tracebacks
        for record in records:
            self.texts.append(record.getMessage())
            self.texts.append(repr(record.args))
            self.texts.append(repr(record.__dict__))

    def renderings(self) -> Iterator[str]:
        yield from self.texts
        for obj in self.objects:
            yield from _render(obj, depth=0)

    def find(self, tokens: Iterable[str]) -> list[str]:
        """Every rendering that contains a forbidden form of a token (the first 200
        characters around it, with the token masked, for the failure message)."""
        forms = [f for t in tokens for f in forbidden_forms(t)]
        hits = []
        for text in self.renderings():
            for form in forms:
                at = text.find(form)
                if at >= 0:
                    around = text[max(0, at - 100) : at + len(form) + 100]
                    hits.append(around.replace(form, "<TOKEN>"))
        return hits


def _render(obj: Any, depth: int) -> Iterator[str]:
    if depth > 6:
        return
    yield repr(obj)
    yield str(obj)
    yield _json(obj)
    if isinstance(obj, BaseException):
        yield from _render(obj.args, depth + 1)
        for name in ("message", "data", "body", "response", "request"):
            if hasattr(obj, name):
                yield from _render(getattr(obj, name), depth + 1)
        if hasattr(obj, "to_observation"):
            yield from _render(obj.to_observation(), depth + 1)
        for linked in (obj.__cause__, obj.__context__):
            if linked is not None:
                yield from _render(linked, depth + 1)
        for sub in getattr(obj, "exceptions", ()):
            yield from _render(sub, depth + 1)
    elif hasattr(obj, "model_dump"):
        yield from _render(_dump(obj), depth + 1)
    elif isinstance(obj, dict):
        for value in obj.values():
            if not isinstance(value, str | int | float | bool | type(None)):
                yield from _render(value, depth + 1)
    elif isinstance(obj, list | tuple | set | frozenset):
        for item in obj:
            if not isinstance(item, str | int | float | bool | type(None)):
                yield from _render(item, depth + 1)


def _json(obj: Any) -> str:
    try:
        return json.dumps(obj, default=repr)
    except (TypeError, ValueError, RecursionError):
        return ""


def _dump(model: Any) -> Any:
    try:
        return model.model_dump()
    except Exception:  # a model that cannot dump itself was still rendered by repr()
        return None
