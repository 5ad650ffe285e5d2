"""Helpers for durable pauses: worker processes (PostgreSQL: ``postgres_dsn`` in
tests/conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def worker(module: str, *args: str, token: str) -> subprocess.Popen[str]:
    """Start ``python -m tests.durable.<module> ARGS`` with the token in its environment."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "MGT_USER_TOKEN": token,
    }
    return subprocess.Popen(
        [sys.executable, "-m", f"tests.durable.{module}", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def result_of(process: subprocess.Popen[str], timeout: float = 120) -> dict[str, Any]:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    return dict(json.loads(out.strip().splitlines()[-1]))
