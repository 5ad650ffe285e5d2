"""examples/oauth_app.py runs as shipped: link for Alice, her consent, her result."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parents[2] / "examples" / "oauth_app.py"


async def test_the_oauth_example_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("oauth_app_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    answer = await module.main()
    assert "3 documents about 'vpn'" in answer
    printed = capsys.readouterr().out
    assert "asks Alice to authorize: http://127.0.0.1:" in printed
    assert "callback answers 200" in printed
