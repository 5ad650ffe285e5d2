"""docs/llamaindex.md runs: its code blocks are executed, then called against the dev
gateway with a scripted model; the runnable example is run as well."""

from __future__ import annotations

import asyncio
import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.llamaindex import AuthorizationRequiredEvent
from mcp_gateway_tools.llamaindex.testing import scripted_llm
from tests.support.docblocks import run_python_blocks

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "llamaindex.md"
EXAMPLE = ROOT / "examples" / "llamaindex_human_in_the_loop.py"


@pytest.fixture(scope="module")
def llamaindex_doc() -> dict[str, Any]:
    return run_python_blocks(DOC, "llamaindex_doc", at_least=7)


async def test_scenario_a(llamaindex_doc: dict[str, Any], dev: DevGateway) -> None:
    llm = scripted_llm([("search_docs", {"query": "password"})])
    answer = await llamaindex_doc["scenario_a"](dev.base_url, dev.tokens.service, llm)
    assert "Resetting your password" in answer


async def test_scenario_b(
    llamaindex_doc: dict[str, Any], dev: DevGateway, gateway: Gateway, alice: str, bob: str
) -> None:
    await dev.aconsent("alice", "mail")
    agent = await llamaindex_doc["build_agent"](
        gateway, scripted_llm([("list_messages", {})]), alice
    )
    as_alice, as_bob = await asyncio.gather(
        llamaindex_doc["handle_request"](agent, "my mail?", alice),
        llamaindex_doc["handle_request"](agent, "my mail?", bob),
    )
    assert "alice@example.com" in as_alice
    assert "- Mail: http://127.0.0.1:" in as_bob  # Bob is asked to authorize, with his link
    assert "Q3 roadmap" not in as_bob
    bound = await llamaindex_doc["handle_request_bound"](agent, "my mail?", alice)
    assert "Q3 roadmap review" in bound


async def test_scenario_c(
    llamaindex_doc: dict[str, Any], dev: DevGateway, gateway: Gateway
) -> None:
    alice = dev.tokens.user("alice")
    llm = scripted_llm([("search_docs", {"query": "vpn"}), ("list_messages", {})])
    answer = await llamaindex_doc["scenario_c"](gateway, llm, alice)
    assert "kb-3: VPN setup" in answer
    assert "- Mail: http://127.0.0.1:" in answer


async def test_buttons(llamaindex_doc: dict[str, Any], dev: DevGateway, gateway: Gateway) -> None:
    alice = dev.tokens.user("alice")
    agent = await llamaindex_doc["build_agent"](
        gateway, scripted_llm([("authorize_mail", {})]), alice
    )
    buttons: list[tuple[str, str]] = []
    await llamaindex_doc["handle_with_buttons"](
        agent, "connect mail", alice, lambda *b: buttons.append(b)
    )
    ((label, url),) = buttons
    assert label == "Mail"
    assert url.startswith(dev.base_url)


async def test_wait(llamaindex_doc: dict[str, Any], dev: DevGateway, gateway: Gateway) -> None:
    alice = dev.tokens.user("alice")
    spec = llamaindex_doc["GatewayToolSpec"](
        gateway, ["workspace"], on_authorization_required="wait"
    )
    tools = await spec.to_tool_list_async(token=alice)
    agent = llamaindex_doc["FunctionAgent"](tools=tools, llm=scripted_llm([("mail_whoami", {})]))

    async def ask_user(event: AuthorizationRequiredEvent) -> bool:
        await dev.aconsent("alice", "mail")
        return True

    answer = await llamaindex_doc["handle_and_wait"](agent, "who am I to mail?", alice, ask_user)
    assert "alice@example.com" in answer


def test_notebook_cell(llamaindex_doc: dict[str, Any], dev_server: DevGateway) -> None:
    answer = llamaindex_doc["notebook_cell"](dev_server.base_url, dev_server.tokens.user("bob"))
    assert answer == "kb-3: VPN setup"


async def test_notebook_cell_inside_a_running_loop(
    llamaindex_doc: dict[str, Any], dev_server: DevGateway
) -> None:
    answer = llamaindex_doc["notebook_cell"](dev_server.base_url, dev_server.tokens.user("bob"))
    assert answer == "kb-3: VPN setup"


async def test_runnable_example(dev: DevGateway) -> None:
    spec = importlib.util.spec_from_file_location("llamaindex_hitl_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    answer, shown = await example.run(dev)
    assert shown[0].startswith("Connect Mail: http://127.0.0.1:")
    assert "Q3 roadmap review" in answer
    assert dev.tokens.user("alice") not in answer + "".join(shown)


def test_doc_and_example_share_the_wait_handler() -> None:
    """The page shows the runnable example's handler verbatim."""
    doc_text = DOC.read_text(encoding="utf-8")
    body = re.search(r"(async def handle_and_wait\(.*?return str\(await handler\))", doc_text, re.S)
    assert body is not None
    assert body.group(1) in EXAMPLE.read_text(encoding="utf-8")
