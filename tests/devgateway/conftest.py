"""Dev gateway tests: the exported fixture plus an HTTP client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest

# The exported fixtures. (``pytest_plugins`` is only allowed in the top-level conftest,
# so they are imported here; a pytest11 entry point would make this line unnecessary.)
from mcp_gateway_tools.devgateway.pytest_plugin import devgateway, devgateway_config

__all__ = ["devgateway", "devgateway_config", "http"]


@pytest.fixture
def http() -> Iterator[httpx2.Client]:
    with httpx2.Client(timeout=30.0) as client:
        yield client
