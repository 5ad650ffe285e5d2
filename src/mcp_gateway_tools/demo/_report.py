"""Plain, sectioned demo output that reads the same in a terminal and in a CI log.

Every claim the demo makes goes through :meth:`Report.check`, which prints ``[ok]`` or
``[FAIL]`` and counts failures: the exit code is derived from those checks, not from
the absence of exceptions.
"""

from __future__ import annotations

import sys
import textwrap
from typing import TextIO

__all__ = ["Report"]

_WIDTH = 78


class Report:
    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.passed = 0
        self.failed: list[str] = []

    def _print(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def title(self, text: str) -> None:
        self._print("=" * _WIDTH)
        self._print(text)
        self._print("=" * _WIDTH)

    def section(self, text: str) -> None:
        self._print()
        self._print(f"--- {text} " + "-" * max(3, _WIDTH - len(text) - 5))

    def say(self, text: str) -> None:
        for line in text.splitlines() or [""]:
            self._print(textwrap.fill(line, _WIDTH, subsequent_indent="  ") if line else "")

    def link(self, label: str, url: str) -> None:
        """A link on its own line, never wrapped or cut, so it stays clickable."""
        self._print(f"{label}")
        self._print(f"    {url}")

    def detail(self, label: str, text: str, limit: int = 6) -> None:
        """An indented block (tool output, an answer), cut to ``limit`` lines."""
        lines = text.strip().splitlines() or [""]
        self._print(f"  {label}")
        for line in lines[:limit]:
            # Cut long lines for readability, but never a line holding a link.
            shown = line if "://" in line else line[: _WIDTH - 6]
            self._print(f"    | {shown}")
        if len(lines) > limit:
            self._print(f"    | ... ({len(lines) - limit} more lines)")

    def check(self, ok: bool, claim: str, why: str = "") -> bool:
        if ok:
            self.passed += 1
            self._print(f"  [ok]   {claim}")
        else:
            self.failed.append(claim)
            self._print(f"  [FAIL] {claim}" + (f": {why}" if why else ""))
        return ok

    def summary(self) -> int:
        self._print()
        self._print("=" * _WIDTH)
        if self.failed:
            self._print(f"DEMO FAILED: {len(self.failed)} check(s) failed, {self.passed} passed")
            for claim in self.failed:
                self._print(f"  - {claim}")
        else:
            self._print(f"DEMO OK: all {self.passed} checks passed")
        self._print("=" * _WIDTH)
        return 1 if self.failed else 0
