"""Scenarios A, B and C of DESIGN §1 with real agents (create_agent and a ToolNode graph)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.messages import ToolMessage

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.langchain import GatewayToolkit
from tests.langchain.conftest import AGENT_KINDS, Context, ask, build_agent, scripted, tool_messages
from tests.support.through import Through

pytestmark = pytest.mark.parametrize("kind", AGENT_KINDS)


def structured(message: ToolMessage) -> Any:
    assert message.status == "success", message.text
    return message.artifact["structured_content"]


async def test_a_service_token(kind: str, service_gateway: Gateway, through: Through) -> None:
    tools = await through.get_tools(GatewayToolkit(service_gateway, ["knowledge", "search"]))
    model = scripted(("search_docs", {"query": "password"}), ("web_search", {"query": "mcp"}))
    agent = build_agent(kind, model, tools)
    state = await through.invoke(agent, ask("find docs"))
    docs, web = tool_messages(state)
    assert docs.status == "success"
    assert "Resetting your password" in docs.text
    assert structured(web)["query"] == "mcp"
    assert "Resetting your password" in state["messages"][-1].text


async def test_a_service_token_on_a_per_user_tool_is_an_error_observation(
    kind: str, service_gateway: Gateway, through: Through
) -> None:
    tools = await through.get_tools(GatewayToolkit(service_gateway, ["workspace"]))
    agent = build_agent(
        kind, scripted(("list_messages", {}), ("search_docs", {"query": ""})), tools
    )
    state = await through.invoke(agent, ask())
    denied, shared = tool_messages(state)
    assert denied.status == "error"
    assert "per-user OAuth" in denied.text
    assert shared.status == "success"


async def test_b_two_users_one_tool_list(
    kind: str, dev: DevGateway, gateway: Gateway, alice: str, bob: str, through: Through
) -> None:
    await dev.aconsent("alice", "mail")
    tools = await through.get_tools(GatewayToolkit(gateway, ["mail", "knowledge"]), token=alice)
    agent = build_agent(kind, scripted(("list_messages", {"limit": 5})), tools)

    async def run(token: str) -> ToolMessage:
        state = await through.invoke(agent, ask(), context=Context(user_token=token))
        [message] = tool_messages(state)
        return message

    as_alice, as_bob = await asyncio.gather(run(alice), run(bob))
    assert structured(as_alice)["owner"] == "alice@example.com"
    # Bob has not consented: an observation with Bob's own link, not Alice's data.
    assert as_bob.status == "success"
    assert as_bob.artifact["type"] == "authorization_required"
    link = as_bob.artifact["authorization_urls"]["mail"]
    assert link in as_bob.text
    assert "alice" not in as_bob.text.lower()
    assert (await dev.aconsent("bob", "mail", link=link)).granted  # the link is Bob's

    as_alice, as_bob = await asyncio.gather(run(alice), run(bob))
    assert structured(as_alice)["owner"] == "alice@example.com"
    assert structured(as_bob)["owner"] == "bob@example.com"
    subjects = {m["subject"] for m in structured(as_bob)["messages"]}
    assert subjects.isdisjoint({m["subject"] for m in structured(as_alice)["messages"]})


async def test_c_virtual_server_mixes_shared_and_per_user_tools(
    kind: str, dev: DevGateway, gateway: Gateway, alice: str, through: Through
) -> None:
    # Listing the virtual server needs no per-user grant: every tool is there.
    tools = await through.get_tools(GatewayToolkit(gateway, ["workspace"]), token=alice)
    assert {"search_docs", "web_search", "list_messages"} <= {t.name for t in tools}
    model = scripted(
        ("search_docs", {"query": "password"}),
        ("list_messages", {}),
        ("web_search", {"query": "after"}),
    )
    agent = build_agent(kind, model, tools)
    state = await through.invoke(agent, ask(), context=Context(user_token=alice))
    before, mail, after = tool_messages(state)
    assert before.status == "success"
    assert "Resetting your password" in before.text
    assert mail.artifact["type"] == "authorization_required"  # mid-session
    assert mail.artifact["server_names"] == {"mail": "Mail"}
    assert structured(after)["query"] == "after"  # the session survived

    await dev.aconsent("alice", "mail", link=mail.artifact["authorization_urls"]["mail"])
    state = await through.invoke(agent, ask(), context=Context(user_token=alice))
    assert structured(tool_messages(state)[1])["owner"] == "alice@example.com"
