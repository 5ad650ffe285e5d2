"""Write, execute and save the notebooks with small outputs.

    .venv/bin/python notebooks/build_notebooks.py          # all
    .venv/bin/python notebooks/build_notebooks.py 02       # the ones whose name has "02"

The cell sources live in ``notebook_sources.py``; this script turns them into
``.ipynb`` files, runs them top to bottom in a fresh kernel (this venv's Python),
trims long outputs, and writes them back. ``tests/notebooks`` executes the committed
files again on every test run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from notebook_sources import NOTEBOOKS  # noqa: E402
from tests.notebooks.kernel import venv_kernel  # noqa: E402

MAX_LINES = 25
MAX_CHARS = 2500


def build(name: str, cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for kind, source in cells:
        source = source.strip("\n")
        if kind == "md":
            nb.cells.append(nbformat.v4.new_markdown_cell(source))
        else:
            nb.cells.append(nbformat.v4.new_code_cell(source))
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"{name[:2]}-{index:02d}"
    return nb


def trim(nb: nbformat.NotebookNode) -> None:
    """Keep outputs small: cut long text, drop everything but the lightest mime types."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = _cut(output["text"])
            data = output.get("data")
            if data:
                kept = {
                    k: v
                    for k, v in data.items()
                    if k in ("text/plain", "text/html", "text/markdown")
                }
                for key, value in kept.items():
                    kept[key] = _cut(value if isinstance(value, str) else "".join(value))
                output["data"] = kept
                output.get("metadata", {}).clear()


def _cut(text: str) -> str:
    lines = text.splitlines(keepends=True)
    if len(lines) > MAX_LINES:
        text = "".join(lines[:MAX_LINES]) + f"... ({len(lines) - MAX_LINES} more lines)\n"
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS] + "...\n"
    return text


def main(selection: list[str]) -> None:
    env_backup = {
        k: os.environ.pop(k) for k in list(os.environ) if k.startswith(("MCP_GATEWAY_", "OPENAI_"))
    }
    try:
        for name, cells in NOTEBOOKS.items():
            if selection and not any(s in name for s in selection):
                continue
            nb = build(name, cells)
            NotebookClient(
                nb,
                timeout=120,
                kernel_name=venv_kernel(),
                resources={"metadata": {"path": str(HERE)}},
            ).execute()
            trim(nb)
            nb.metadata["kernelspec"] = {
                "name": "python3",
                "display_name": "Python 3",
                "language": "python",
            }
            nbformat.write(nb, HERE / f"{name}.ipynb")
            print("wrote", name)
    finally:
        os.environ.update(env_backup)


if __name__ == "__main__":
    main(sys.argv[1:])
