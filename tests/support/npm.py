"""Third-party Node programs the tests run, installed on demand with npm, pinned exactly.

Each package lives in its own prefix ``~/.cache/mcp-gateway-tools/<name>/<version>/``
(never in the project tree, never global). A prefix is complete once its marker file
exists; a missing or half-written one is reinstalled. A lock file serialises parallel
installers (two pytest runs on one machine). When npm or Node cannot do the job the
caller gets :class:`NpmUnavailable` with the reason, and the test fails with it: these
suites are never skipped.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path

CACHE_ROOT = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mcp-gateway-tools"
_MARKER = ".installed.json"


class NpmUnavailable(RuntimeError):
    """npm or Node is missing, or the install failed; the message says which and why."""


def node_binary() -> str:
    node = shutil.which("node")
    if node is None:
        raise NpmUnavailable("`node` is not on PATH; install Node.js 20+ to run this suite")
    return node


def installed_package(name: str, version: str, *, cache_name: str) -> Path:
    """The ``node_modules/<name>`` directory of ``name@version``, installing it if needed.

    ``cache_name`` is the folder under the cache root (``conformance``, ``everything``).
    """
    prefix = CACHE_ROOT / cache_name / version
    package_dir = prefix / "node_modules" / name
    marker = prefix / _MARKER
    if _complete(marker, name, version, package_dir):
        return package_dir
    prefix.mkdir(parents=True, exist_ok=True)
    with (prefix / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _complete(marker, name, version, package_dir):
            _install(prefix, name, version)
            if not package_dir.is_dir():
                raise NpmUnavailable(f"npm finished but {package_dir} does not exist")
            marker.write_text(json.dumps({"name": name, "version": version}))
    return package_dir


def _complete(marker: Path, name: str, version: str, package_dir: Path) -> bool:
    """A previous install finished for exactly this package and version."""
    try:
        recorded = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    return recorded == {"name": name, "version": version} and package_dir.is_dir()


def _install(prefix: Path, name: str, version: str) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise NpmUnavailable("`npm` is not on PATH; install Node.js/npm to run this suite")
    node_binary()
    shutil.rmtree(prefix / "node_modules", ignore_errors=True)
    (prefix / "package.json").write_text(json.dumps({"private": True, "name": "cache"}))
    command = [
        npm,
        "install",
        "--prefix",
        str(prefix),
        "--save-exact",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        f"{name}@{version}",
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    except subprocess.TimeoutExpired as exc:
        raise NpmUnavailable(f"`npm install {name}@{version}` took over 600 s") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip()[-2000:]
        raise NpmUnavailable(f"`npm install {name}@{version}` failed ({done.returncode}): {tail}")
