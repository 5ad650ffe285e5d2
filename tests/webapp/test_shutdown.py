"""Ctrl-C stops the web demo at once and cleanly: exit 0, every worker gone, and no
traceback in its output. (asyncio's default Ctrl-C handler cancelled uvicorn
mid-lifespan, which printed a CancelledError traceback per server.) A terminal's
Ctrl-C reaches every process of the demo, so the signal goes to each of them."""

from __future__ import annotations

import signal
from pathlib import Path

import psutil
import pytest

from tests.support.timing import scaled
from tests.support.webdemo import launch_web_demo, wait_started


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_stops_the_demo_with_exit_0_and_no_traceback(tmp_path: Path, workers: int) -> None:
    process, demo = launch_web_demo(tmp_path, "--workers", str(workers))
    try:
        wait_started(process, demo, want=workers)
        children = psutil.Process(process.pid).children(recursive=True)
        for each in [psutil.Process(process.pid), *children]:
            each.send_signal(signal.SIGINT)
        code = process.wait(timeout=scaled(30))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    logs = demo.logs()
    assert code == 0, logs[-3000:]
    assert "Traceback" not in logs, logs[-3000:]
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
