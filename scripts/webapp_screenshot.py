"""Regenerate docs/webapp.png: the web demo at the consent moment.

    python -m scripts.webapp_screenshot [--out docs/webapp.png]

Starts ``mcp-gateway-tools demo --web`` (scripted model) as a user would, signs in as
Bob in headless Chromium (Debian's, as the browser tests use; set DEVGATEWAY_CHROMIUM
to point elsewhere), asks "list my mail", and captures his page showing the Connect
Mail button next to the consent page that button opened. Needs the dev extras
(playwright, pillow via matplotlib).
"""

from __future__ import annotations

import argparse
import io
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright
from tests.support.browser import find_chromium, launch_chromium
from tests.support.webdemo import launch_web_demo, stop, wait_started

ROOT = Path(__file__).resolve().parents[1]
VIEW = {"width": 760, "height": 470}


def capture(url: str) -> Image.Image:
    with sync_playwright() as pw:
        chromium = find_chromium()
        if chromium is None:
            raise SystemExit("no Chromium: apt-get install -y chromium, or set DEVGATEWAY_CHROMIUM")
        browser = launch_chromium(pw, chromium)
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
        process, demo = launch_web_demo(Path(tmp))
        try:
            wait_started(process, demo, want=1)
            image = capture(demo.urls[0])
        finally:
            stop(process)
    image.save(args.out, optimize=True)
    print(f"wrote {args.out} ({image.width}x{image.height})")


if __name__ == "__main__":
    main()
