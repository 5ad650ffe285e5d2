"""What the CLI prints: terminal-safe text, near-match hints, CLI wording.

Everything a gateway sends is hostile, and a terminal interprets escape sequences: an
OSC 52 sequence writes the clipboard, others set the window title or clear the screen,
bidi controls reorder what the reader sees. So every line the gateway commands print
goes through :class:`TerminalSafe`, which replaces C0/C1 control characters (all but
newline and tab), DEL, bidi controls and line/paragraph separators with a visible
``\\uXXXX`` escape. The escape is also a valid JSON string escape, so ``--json`` output
stays valid JSON and decodes to what the gateway sent.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import TextIO

__all__ = ["TerminalSafe", "did_you_mean", "terminal_safe"]

# C0 but \t and \n, DEL, C1; ALM, LRM/RLM, LRE..RLO, LRI..PDI; LS, PS.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)


def terminal_safe(text: str) -> str:
    """``text`` with every terminal control character shown as ``\\uXXXX``."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class TerminalSafe:
    """A text stream wrapper that makes everything written through it terminal-safe."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(terminal_safe(text))

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'a' or 'b'?)`` for near matches of ``name``, else ``""``."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"
