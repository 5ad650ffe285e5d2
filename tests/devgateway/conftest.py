"""Dev gateway tests: the exported fixture plus an HTTP client."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import httpx2
import pytest

# The exported fixtures. (``pytest_plugins`` is only allowed in the top-level conftest,
# so they are imported here; a pytest11 entry point would make this line unnecessary.)
from mcp_gateway_tools.devgateway.pytest_plugin import devgateway, devgateway_config

__all__ = ["chromium_path", "devgateway", "devgateway_config", "http"]


@pytest.fixture
def http() -> Iterator[httpx2.Client]:
    with httpx2.Client(timeout=30.0) as client:
        yield client


_CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]


@pytest.fixture
def chromium_path() -> str:
    """A headless-capable Chromium (Debian's; the Playwright download is not available
    here) with the playwright package; skips, with the reason, when either is missing."""
    env = os.environ.get("DEVGATEWAY_CHROMIUM")
    found = [p for p in [env, *_CHROMIUM, shutil.which("chromium")] if p and os.path.exists(p)]
    if not found:
        pytest.skip("no Chromium found (install Debian 'chromium': apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("the playwright Python package is not installed")
    return found[0]
