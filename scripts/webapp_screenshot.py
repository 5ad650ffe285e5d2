"""Regenerate docs/webapp.png: the web demo at the consent moment.

    python scripts/webapp_screenshot.py [--out docs/webapp.png]

Starts ``mcp-gateway-tools demo --web`` (scripted model) as a user would, signs in as
Bob in headless Chromium (Debian's, as the browser tests use; set DEVGATEWAY_CHROMIUM
to point elsewhere), asks "list my mail", and captures his page showing the Connect
Mail button next to the consent page that button opened. Needs the dev extras
(playwright, pillow via matplotlib).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-extensions",
    "--no-first-run",
]
VIEW = {"width": 760, "height": 470}


def _chromium() -> str:
    candidates = [os.environ.get("DEVGATEWAY_CHROMIUM"), "/usr/bin/chromium"]
    for path in [*candidates, shutil.which("chromium")]:
        if path and os.path.exists(path):
            return path
    raise SystemExit("no Chromium found (apt-get install -y chromium, or set DEVGATEWAY_CHROMIUM)")


def _start(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
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
                "--scripted",
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        found = re.search(r"Open (http://127\.0\.0\.1:\d+/)", log.read_text())
        if found:
            return process, found.group(1)
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the web demo did not start:\n{log.read_text()[-2000:]}")


def capture(url: str) -> Image.Image:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), headless=True, args=ARGS)
        context = browser.new_context(viewport=VIEW, device_scale_factor=1)
        page = context.new_page()
        page.goto(url)
        page.click("button.signin[data-user='bob']")
        page.fill("#text", "list my mail")
        page.click("#send")
        connect = page.locator("li.card.authorization a.connect").last
        connect.wait_for(timeout=60_000)
        chat = Image.open(io.BytesIO(page.screenshot()))
        with context.expect_page() as opened:
            connect.click()
        consent = opened.value
        consent.set_viewport_size(VIEW)
        consent.wait_for_selector("#approve")
        page_two = Image.open(io.BytesIO(consent.screenshot()))
        browser.close()
    gap = 16
    out = Image.new("RGB", (chat.width + gap + page_two.width, chat.height), "#d0d5dd")
    out.paste(chat, (0, 0))
    out.paste(page_two, (chat.width + gap, 0))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "webapp.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process, url = _start(Path(tmp) / "webapp.log")
        try:
            image = capture(url)
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
    image.save(args.out, optimize=True)
    print(f"wrote {args.out} ({image.width}x{image.height})")


if __name__ == "__main__":
    main()
