"""Run a third-party program in a network namespace that has only loopback.

Some test servers we do not control listen on every interface (the MCP conformance
suite's scenario servers call ``listen(0)``). Inside ``unshare --net`` the only
interface is ``lo``, brought up here, so nothing they open is reachable from outside
the machine, and nothing inside can reach out. Root uses a plain network namespace;
other users get one inside a user namespace (``--map-root-user``) where the kernel
allows it. When neither works, :class:`NamespaceUnavailable` says why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence

# `ip` brings lo up; exec keeps the program's exit status and signals.
_BOOT = 'ip link set lo up && exec "$@"'


class NamespaceUnavailable(RuntimeError):
    """No loopback-only network namespace can be made here; the message says why."""


def loopback_only(argv: Sequence[str]) -> list[str]:
    """``argv`` wrapped to run in a fresh network namespace with only ``lo`` (up)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        raise NamespaceUnavailable("`unshare` (util-linux) is not on PATH")
    if shutil.which("ip") is None:
        raise NamespaceUnavailable("`ip` (iproute2) is not on PATH; it brings lo up")
    if os.geteuid() == 0:
        prefix = [unshare, "--net"]
    else:
        prefix = [unshare, "--user", "--map-root-user", "--net"]
    return [*prefix, "--", "sh", "-c", _BOOT, "loopback-only", *argv]


def interfaces_inside() -> list[str]:
    """The network interfaces a program run through :func:`loopback_only` sees.

    Also the probe that the namespace can be made at all: its failure is the reason.
    """
    command = loopback_only(["cat", "/proc/net/dev"])
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        raise NamespaceUnavailable(
            f"cannot make a loopback-only network namespace ({' '.join(command[:3])}): "
            f"{done.stderr.strip()[-500:]}"
        )
    lines = done.stdout.splitlines()[2:]  # two header lines
    return [line.split(":", 1)[0].strip() for line in lines if ":" in line]
