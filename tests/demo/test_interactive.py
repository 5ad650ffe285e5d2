"""``demo --interactive`` as a person runs it: a fresh link after a used one, Ctrl-C at once."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from queue import Empty, Queue

from tests.support.timing import scaled

ROOT = Path(__file__).resolve().parents[2]
_LINK = re.compile(r"^    (http://127\.0\.0\.1:\d+/consent/\S+)$")


class Demo:
    """The demo in a subprocess, its output read line by line on a thread."""

    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "MCP_"))}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
        env["PYTHONUNBUFFERED"] = "1"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mcp_gateway_tools.cli", "demo", "--interactive",
             "--scripted", "--scenario", "B"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, env=env, cwd=ROOT,
        )  # fmt: skip
        self.lines: Queue[str] = Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def read_until(self, marker: str) -> list[str]:
        """Lines up to the one containing ``marker`` (the prompt has no newline)."""
        got: list[str] = []
        while True:
            try:
                line = self.lines.get(timeout=scaled(120))
            except Empty:
                raise AssertionError(f"no {marker!r} in:\n" + "\n".join(self.seen)) from None
            got.append(line)
            self.seen.append(line)
            if marker in line:
                return got

    def links(self, lines: list[str]) -> list[str]:
        return [m.group(1) for line in lines if (m := _LINK.match(line))]

    def enter(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=scaled(30))
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


def test_enter_without_consent_offers_a_fresh_link_and_ctrl_c_stops_at_once() -> None:
    demo = Demo()
    try:
        before = demo.read_until("Open this link in a browser") + demo.read_until("/consent/")
        first = demo.links(before)[-1]  # the link the person is asked to open
        demo.enter()  # Enter without approving anything
        later = demo.read_until("here is a fresh one")
        later += demo.read_until("/consent/")
        fresh = demo.links(later)
        assert "No grant stored yet" in "\n".join(later)
        assert len(fresh) == 1
        assert fresh[0] != first  # never the used link again
        demo.proc.send_signal(signal.SIGINT)  # waiting for Enter: Ctrl-C
        code = demo.proc.wait(timeout=scaled(60))  # no Enter needed to get here
        rest = "\n".join(demo.seen)
        assert code == 130, rest
    finally:
        demo.close()
