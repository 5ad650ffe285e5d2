"""Fixtures for durable pauses: a dev gateway, a PostgreSQL server, worker processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.durable import postgres

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A real PostgreSQL 15 server started for this session, stopped after it."""
    if not postgres.available():
        pytest.skip("PostgreSQL 15 binaries not found (set PG_BIN)")
    with postgres.postgres_server() as dsn:
        yield dsn


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
