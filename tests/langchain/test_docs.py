"""docs/langchain.md runs: its code blocks are executed, then called against the dev
gateway with a scripted model; the runnable example is run as well."""

from __future__ import annotations

import asyncio
import runpy
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import ToolMessage

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.devgateway import DevGateway
from tests.langchain.conftest import scripted
from tests.support.docblocks import run_python_blocks

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "langchain.md"
EXAMPLE = ROOT / "examples" / "langchain_authorization.py"


@pytest.fixture(scope="module")
def langchain_doc() -> dict[str, Any]:
    return run_python_blocks(DOC, "langchain_doc", at_least=6)


async def test_scenario_a(langchain_doc: dict[str, Any], dev: DevGateway) -> None:
    model = scripted(("search_docs", {"query": "password"}))
    answer = await langchain_doc["scenario_a"](dev.base_url, dev.tokens.service, model)
    assert "Resetting your password" in answer


async def test_scenario_b(
    langchain_doc: dict[str, Any], dev: DevGateway, gateway: Gateway, alice: str, bob: str
) -> None:
    await dev.aconsent("alice", "mail")
    await dev.aconsent("alice", "calendar")
    agent = await langchain_doc["build_agent"](gateway, scripted(("list_messages", {})), alice)
    as_alice, as_bob = await asyncio.gather(
        langchain_doc["handle_request"](agent, "my mail?", alice),
        langchain_doc["handle_request"](agent, "my mail?", bob),
    )
    assert "alice@example.com" in as_alice
    assert "- Mail: http://127.0.0.1:" in as_bob  # Bob is asked to authorize, with his link
    assert "alice" not in as_bob


async def test_scenario_c(langchain_doc: dict[str, Any], gateway: Gateway, alice: str) -> None:
    model = scripted(("search_docs", {"query": "password"}), ("list_messages", {}))
    docs, mail = await langchain_doc["scenario_c"](gateway, model, alice)
    assert isinstance(docs, ToolMessage)
    assert "Resetting your password" in docs.text
    assert mail.artifact["type"] == "authorization_required"


async def test_event_stream(langchain_doc: dict[str, Any], gateway: Gateway, alice: str) -> None:
    # Alice has authorized nothing yet: the list holds authorize_<server> tools.
    agent = await langchain_doc["build_agent"](
        gateway, scripted(("authorize_mail", {}), streaming=False), alice
    )
    buttons: list[tuple[str, str]] = []
    await langchain_doc["stream_with_consent_buttons"](
        agent, "my mail?", alice, lambda name, url: buttons.append((name, url))
    )
    assert [name for name, _ in buttons] == ["Mail"]
    assert buttons[0][1].startswith("http://127.0.0.1:")


async def test_pause_until_authorized(
    langchain_doc: dict[str, Any], dev: DevGateway, gateway: Gateway, alice: str
) -> None:
    agent = await langchain_doc["build_pausing_agent"](
        gateway, scripted(("list_messages", {})), alice
    )
    asked: list[str] = []

    async def ask_user(urls: dict[str, str], names: dict[str, str]) -> bool:
        asked.extend(names.values())
        for server, url in urls.items():
            await dev.aconsent("alice", server, link=url)
        return True

    answer = await langchain_doc["ask_with_consent"](agent, "my mail?", alice, "thread-1", ask_user)
    assert asked == ["Mail"]
    assert "alice@example.com" in answer

    async def decline(urls: dict[str, str], names: dict[str, str]) -> bool:
        return False

    dev.revoke("alice", "mail")
    answer = await langchain_doc["ask_with_consent"](agent, "my mail?", alice, "thread-2", decline)
    assert "chose not to authorize Mail" in answer


async def test_notebook_cell(langchain_doc: dict[str, Any], dev: DevGateway, alice: str) -> None:
    # Called from a running loop, as a notebook cell would be.
    model = scripted(("search_docs", {"query": "password"}))
    assert "Resetting your password" in langchain_doc["notebook_cell"](dev.base_url, alice, model)


def test_runnable_example(capsys: pytest.CaptureFixture[str]) -> None:
    module = runpy.run_path(str(EXAMPLE))
    answer = asyncio.run(module["main"]())
    assert "alice@example.com" in answer
    printed = capsys.readouterr().out
    assert "Please authorize Mail: http://127.0.0.1:" in printed
    assert "granted" in printed
