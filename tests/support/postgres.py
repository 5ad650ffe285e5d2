"""A throwaway PostgreSQL 15 cluster for the tests: initdb + pg_ctl, as an unprivileged user.

Debian's PostgreSQL 15 binaries are at /usr/lib/postgresql/15/bin (not running). The
cluster lives in a temp dir, listens on a free 127.0.0.1 port (and a socket in that
dir), trusts local connections, and is stopped and deleted after the session. As root
the server runs as ``nobody`` (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.serving import free_port

BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def available() -> bool:
    return (BIN / "initdb").exists() and (BIN / "pg_ctl").exists()


def _as_user(cmd: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *cmd] if user else cmd


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a cluster; yield its DSN; stop it (fast) and delete it."""
    user = "nobody" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="mgt-pg-"))
    data = root / "data"
    if user:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    port = free_port()
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    run = {"check": True, "capture_output": True, "timeout": 120, "env": env, "cwd": root}
    try:
        subprocess.run(
            _as_user(
                [
                    str(BIN / "initdb"),
                    "-D",
                    str(data),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                ],
                user,
            ),
            **run,
        )
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            _as_user(
                [
                    str(BIN / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(root / "server.log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
                user,
            ),
            **run,
        )
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                _as_user([str(BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], user),
                **{**run, "check": False},
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
