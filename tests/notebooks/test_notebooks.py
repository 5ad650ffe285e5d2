"""The notebooks run top to bottom in a fresh kernel (this venv's Python), offline.

All of them execute concurrently once per session (a kernel start and the framework
imports dominate), then each test checks one notebook's outputs. 04 runs twice:
without gateway variables (every cell must skip cleanly) and against a dev gateway.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from mcp_gateway_tools.devgateway import DevGateway
from tests.notebooks.kernel import venv_kernel

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = [
    "01_quickstart_service_account",
    "02_per_user_tokens_and_consent",
    "03_llamaindex_virtual_server",
    "04_connect_your_gateway",
]
Run = tuple[nbformat.NotebookNode | None, BaseException | None]


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MCP_GATEWAY_", "OPENAI_"))}
    env.pop("PYTEST_CURRENT_TEST", None)
    return {**env, **extra}


async def _execute(name: str, env: dict[str, str]) -> Run:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = NotebookClient(
        nb,
        timeout=120,
        kernel_name=venv_kernel(),
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    try:
        await client.async_execute(env=env)
    except CellExecutionError as exc:
        return nb, exc
    return nb, None


@pytest.fixture(scope="module")
def runs(dev_server: DevGateway) -> dict[str, Run]:
    jobs: dict[str, dict[str, str]] = {name: _clean_env() for name in NAMES}
    jobs["04_with_gateway"] = _clean_env(
        MCP_GATEWAY_URL=dev_server.base_url,
        MCP_GATEWAY_TOKEN=dev_server.tokens.user("alice"),
        MCP_GATEWAY_SERVERS="knowledge, mail",
        MCP_GATEWAY_TOOL="knowledge/search_docs",
        MCP_GATEWAY_ARGS=json.dumps({"query": "vpn"}),
    )

    async def all_of_them() -> dict[str, Run]:
        names = list(jobs)
        done = await asyncio.gather(
            *(_execute(n.replace("04_with_gateway", NAMES[3]), jobs[n]) for n in names)
        )
        return dict(zip(names, done, strict=True))

    return asyncio.run(all_of_them())


def _text(nb: nbformat.NotebookNode) -> str:
    parts: list[str] = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            data: dict[str, Any] = output.get("data", {})
            parts.extend(str(v) for v in data.values())
    return "\n".join(parts)


def _ran(runs: dict[str, Run], key: str) -> str:
    nb, error = runs[key]
    assert error is None, f"{key} failed:\n{error}"
    assert nb is not None
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", output
    return _text(nb)


def test_committed_notebooks_are_small_and_use_the_public_api() -> None:
    for name in NAMES:
        path = NOTEBOOKS / f"{name}.ipynb"
        assert path.stat().st_size < 40_000, f"{name} has large outputs"
        source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
        assert "mcp_gateway_tools._" not in source, "private module used"
        assert ".demo" not in source


def test_01_quickstart_service_account(runs: dict[str, Run]) -> None:
    out = _ran(runs, NAMES[0])
    assert "'search_docs'" in out
    assert "success | " in out
    assert "'structured_content'" in out
    assert "ToolMessage: kb-3: VPN setup" in out


def test_02_per_user_tokens_and_consent(runs: dict[str, Run]) -> None:
    out = _ran(runs, NAMES[1])
    assert "Alice: {'owner': 'alice@example.com'" in out
    assert "artifact type: authorization_required" in out
    assert '<a href="http://127.0.0.1:' in out  # the clickable link, rendered as HTML
    assert "Bob: {'owner': 'bob@example.com'" in out
    assert "paused in tool: list_events" in out
    assert "'title': 'Budget sync'" in out


def test_03_llamaindex_virtual_server(runs: dict[str, Run]) -> None:
    out = _ran(runs, NAMES[2])
    assert "AuthorizationRequiredEvent(tool=list_messages" in out
    assert '{"owner":"alice@example.com"' in out
    assert "waiting for Bob to connect Mail" in out
    assert '"user":"bob@example.com"' in out


def test_04_skips_cleanly_without_a_gateway(runs: dict[str, Run]) -> None:
    out = _ran(runs, NAMES[3])
    assert "Skipping this notebook: set MCP_GATEWAY_URL and MCP_GATEWAY_TOKEN" in out
    assert out.count("skipped (no gateway configured)") == 3


def test_04_against_a_gateway_from_the_environment(
    runs: dict[str, Run], dev_server: DevGateway
) -> None:
    out = _ran(runs, "04_with_gateway")
    assert "(token set, not shown)" in out
    assert "knowledge: ['search_docs'" in out
    assert "mail: authorization required" in out
    assert f'href="{dev_server.base_url}/consent/' in out
    assert "kb-3: VPN setup" in out
    assert dev_server.tokens.user("alice") not in out
