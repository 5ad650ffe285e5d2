"""``mcp-proxy`` 0.13 run for the interop suite: stdio servers served over HTTP.

mcp-proxy has no authentication: it spawns each ``--named-server`` as a stdio
subprocess and serves it at ``/servers/<name>/mcp``. Ours is the same echo server
the other gateways front (``python -m tests.interop.upstream``, from the project venv).
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from tests.interop.harness import GatewayProcess, venv_bin

REPO = Path(__file__).resolve().parents[2]


def mcp_proxy_process(venv: Path, workdir: Path, port: int) -> GatewayProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    upstream = f"{shlex.quote(sys.executable)} -m tests.interop.upstream"
    argv = [
        venv_bin(venv, "mcp-proxy"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--pass-environment",
        "--named-server",
        "echo",
        upstream,
    ]
    return GatewayProcess(
        name="mcp-proxy",
        argv=argv,
        env={"PYTHONPATH": f"{REPO}:{REPO / 'src'}"},
        cwd=workdir,
        port=port,
        health_path="/status",
    )
