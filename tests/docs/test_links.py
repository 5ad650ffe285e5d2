"""The README and docs/ only point at files that exist in the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
# A file named like a repository file (DESIGN.md, Makefile, ...) in running text.
_FILE_NAME = re.compile(r"\b([A-Z][A-Za-z_-]*\.md)\b")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for target in _LINK.findall(text):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_named_markdown_files_exist(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for name in set(_FILE_NAME.findall(text)):
        found = list(ROOT.glob(name)) + list((ROOT / "docs").glob(name))
        assert found, f"{page.name} cites {name}, which is not in the repository"
