"""Dev gateway tests: the exported fixture plus an HTTP client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest

pytest_plugins = ["mcp_gateway_tools.devgateway.pytest_plugin"]


@pytest.fixture
def http() -> Iterator[httpx2.Client]:
    with httpx2.Client(timeout=30.0) as client:
        yield client
