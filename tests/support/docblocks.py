"""Run a Markdown page's Python blocks as one module, so tests can call what it defines."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any


def run_python_blocks(page: Path, module_name: str, at_least: int) -> dict[str, Any]:
    """Execute every ```python block of ``page`` (at least ``at_least`` of them, so a
    page that lost its examples fails) and return the module's namespace."""
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= at_least
    module = types.ModuleType(module_name)
    sys.modules[module.__name__] = module  # dataclasses and typing resolve names there
    exec(compile("\n".join(blocks), str(page), "exec", dont_inherit=True), module.__dict__)
    return module.__dict__
