"""The MCP reference server, ``@modelcontextprotocol/server-everything``, on 127.0.0.1.

Installed by npm into the test cache (pinned in :data:`VERSION`) and run in its
streamable HTTP mode (``index.js streamableHttp``, port from ``PORT``, endpoint
``/mcp``) as its README says. It calls ``app.listen(PORT)``, which means every
interface; ``loopback.mjs``, preloaded with ``node --import``, makes a listen that
names no host listen on 127.0.0.1, and :func:`listening_hosts` proves it from
``/proc/net``. The server gets a minimal environment: its ``get-env`` tool returns
every variable it has to any caller.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

from tests.support.npm import installed_package, node_binary
from tests.support.serving import free_port

PACKAGE = "@modelcontextprotocol/server-everything"
VERSION = "2026.8.31"
HERE = Path(__file__).resolve().parent


class EverythingServer:
    """One server-everything process; ``url`` is its MCP endpoint."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.log = workdir / "server-everything.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def start(self) -> None:
        package = installed_package(PACKAGE, VERSION, cache_name="everything")
        argv = [
            node_binary(),
            "--import",
            (HERE / "loopback.mjs").as_uri(),
            str(package / "dist" / "index.js"),
            "streamableHttp",
        ]
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(self.workdir)}
        env["PORT"] = str(self.port)
        with self.log.open("wb") as log:
            self._process = subprocess.Popen(
                argv, cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_listening()

    def _wait_listening(self, limit: float = 60.0) -> None:
        """Until the port accepts connections; the process dying first is the error."""
        assert self._process is not None
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"server-everything exited: {self.log.read_text()[-2000:]}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server-everything did not listen within {limit} s")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def listening_hosts(port: int) -> set[str]:
    """The local addresses with a socket listening on ``port`` (IPv4 and IPv6)."""
    hosts: set[str] = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port and len(address) == width:
                hosts.add(_address(address))
    return hosts


def _address(hex_address: str) -> str:
    """A /proc/net address (little-endian 32-bit words) as text."""
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    family = socket.AF_INET if len(words) == 4 else socket.AF_INET6
    return socket.inet_ntop(family, words)
