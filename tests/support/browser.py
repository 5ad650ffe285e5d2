"""Debian's Chromium for Playwright (the Playwright browser download is not used here).

CI installs it with ``apt-get install -y chromium``; a test that needs it takes the
``chromium_path`` fixture, which skips (with the reason) when no browser is found.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

__all__ = ["CHROMIUM_ARGS", "find_chromium", "launch_chromium"]

CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-extensions",
    "--no-first-run",
]


def find_chromium() -> str | None:
    env = os.environ.get("DEVGATEWAY_CHROMIUM")
    for path in [env, *CANDIDATES, shutil.which("chromium")]:
        if path and os.path.exists(path):
            return path
    return None


def launch_chromium(playwright: Any, path: str) -> Any:
    """A headless Chromium browser from a (sync or async) Playwright instance."""
    return playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
