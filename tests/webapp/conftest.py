"""The web demo as a user starts it (``mcp-gateway-tools demo --web``), and a browser.

The app runs in its own process, exactly as the CLI starts it, logging at DEBUG into a
file the tests scan; one app and one Chromium serve a whole module.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mcp_gateway_tools.devgateway import default_config
from tests.support.browser import launch_chromium
from tests.support.timing import scaled

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class WebDemo:
    urls: list[str]
    log: Path

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


def dev_tokens() -> list[str]:
    """Every token of the dev gateway's default config: none may reach the page or logs."""
    config = default_config()
    users = [t for u in config.users.values() for t in u.tokens]
    return users + [a.token for a in config.accounts.values()]


def _launch(tmp: Path, *args: str) -> tuple[subprocess.Popen[bytes], WebDemo]:
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


def _wait_started(process: subprocess.Popen[bytes], demo: WebDemo, want: int) -> None:
    """Until the demo printed its URLs (it prints them once every worker answers)."""
    deadline = time.monotonic() + scaled(90)
    while len(demo.urls) < want:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"the web demo did not start:\n{demo.logs()[-3000:]}")
        demo.urls = re.findall(r"open (http://127\.0\.0\.1:\d+/)", demo.logs(), re.I)
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=scaled(20))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def web_demos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebDemo, WebDemo]]:
    """One single-worker demo and one with two workers, started side by side."""
    single = _launch(tmp_path_factory.mktemp("webapp"))
    double = _launch(tmp_path_factory.mktemp("webapp2"), "--workers", "2")
    try:
        _wait_started(*single, want=1)
        _wait_started(*double, want=2)
        yield single[1], double[1]
    finally:
        _stop(single[0])
        _stop(double[0])


@pytest.fixture(scope="module")
def web_demo(web_demos: tuple[WebDemo, WebDemo]) -> WebDemo:
    return web_demos[0]


@pytest.fixture(scope="module")
def web_demo_two_workers(web_demos: tuple[WebDemo, WebDemo]) -> WebDemo:
    return web_demos[1]


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch_chromium(pw, chromium_path)
        yield chromium
        chromium.close()
