"""A Jupyter kernel that is this venv's Python, whatever else the machine has installed.

``python3`` may resolve to a user-level kernelspec pointing at another interpreter; so
we write our own spec (argv = ``sys.executable -m ipykernel_launcher``) into a private
directory and put it first on ``JUPYTER_PATH``. No ``jupyter kernelspec install`` needed.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from functools import cache
from pathlib import Path

NAME = "mcp-gateway-tools-venv"


@cache
def venv_kernel() -> str:
    """Register the kernel for this process (once) and return its name."""
    root = Path(tempfile.mkdtemp(prefix="mcp-gw-kernels-"))
    spec_dir = root / "kernels" / NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "mcp-gateway-tools (venv)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    paths = [str(root), *filter(None, os.environ.get("JUPYTER_PATH", "").split(os.pathsep))]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(paths)
    return NAME
