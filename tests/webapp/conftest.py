"""The web demo as a user starts it (``mcp-gateway-tools demo --web``), and a browser.

The app runs in its own process, exactly as the CLI starts it, logging at DEBUG into a
file the tests scan; one app and one Chromium serve a whole module.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mcp_gateway_tools.devgateway import default_config
from tests.support.browser import launch_chromium
from tests.support.webdemo import WebDemo, launch_web_demo, stop, wait_started

ROOT = Path(__file__).resolve().parents[2]


def dev_tokens() -> list[str]:
    """Every token of the dev gateway's default config: none may reach the page or logs."""
    config = default_config()
    users = [t for u in config.users.values() for t in u.tokens]
    return users + [a.token for a in config.accounts.values()]


@pytest.fixture(scope="module")
def web_demos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebDemo, WebDemo]]:
    """One single-worker demo and one with two workers, started side by side."""
    single = launch_web_demo(tmp_path_factory.mktemp("webapp"))
    double = launch_web_demo(tmp_path_factory.mktemp("webapp2"), "--workers", "2")
    try:
        wait_started(*single, want=1)
        wait_started(*double, want=2)
        yield single[1], double[1]
    finally:
        stop(single[0])
        stop(double[0])


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
