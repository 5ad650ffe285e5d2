"""The web demo as a user starts it (``mcp-gateway-tools demo --web``), in its own
process, logging into a file; the browser tests and scripts/webapp_screenshot.py share it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.timing import scaled

__all__ = ["WebDemo", "launch_web_demo", "stop", "wait_started"]

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class WebDemo:
    urls: list[str]
    log: Path

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


def launch_web_demo(tmp: Path, *args: str) -> tuple[subprocess.Popen[bytes], WebDemo]:
    """Start the demo with its scripted model (no OpenAI key passed on), at DEBUG, with
    its runs in ``tmp``; :func:`wait_started` reads the URLs it prints."""
    log = tmp / "webapp.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    env.pop("OPENAI_API_KEY", None)
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mcp_gateway_tools.cli",
                "demo",
                "--web",
                "--port",
                "0",
                "--log-level",
                "debug",
                "--db",
                str(tmp / "runs.sqlite3"),
                *args,
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return process, WebDemo([], log)


def wait_started(process: subprocess.Popen[bytes], demo: WebDemo, want: int) -> None:
    """Until the demo printed its URLs (it prints them once every worker answers)."""
    deadline = time.monotonic() + scaled(90)
    while len(demo.urls) < want:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"the web demo did not start:\n{demo.logs()[-3000:]}")
        demo.urls = re.findall(r"open (http://127\.0\.0\.1:\d+/)", demo.logs(), re.I)
        time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=scaled(20))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
