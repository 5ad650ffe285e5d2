"""Dev gateway tests: an HTTP client (the ``devgateway`` fixture comes from the shipped
plugin, registered by installing the package)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest


@pytest.fixture
def http() -> Iterator[httpx2.Client]:
    with httpx2.Client(timeout=30.0) as client:
        yield client
