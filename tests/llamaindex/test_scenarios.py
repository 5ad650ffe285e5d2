"""The three gateway scenarios (DESIGN §1) through real LlamaIndex agents.

A: a service token, shared downstream credentials. B: per-user tokens, two users at
once through one tool list, one of them not yet consented. C: a virtual server mixing
shared tools with per-user OAuth ones, whose 401 arrives mid-session.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from llama_index.core.agent.workflow import (
    AgentWorkflow,
    FunctionAgent,
    ReActAgent,
    ToolCallResult,
)
from llama_index.core.workflow import Context
from workflows.handler import WorkflowHandler

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.llamaindex import AuthorizationRequiredEvent, GatewayToolSpec
from mcp_gateway_tools.llamaindex.testing import scripted_llm
from tests.llamaindex.agents import Recorder, react_llm
from tests.support.through import Through


async def test_a_service_token_with_function_agent(
    service_gateway: Gateway, through: Through
) -> None:
    tools = await through.to_tool_list(GatewayToolSpec(service_gateway, ["knowledge", "search"]))
    llm = scripted_llm([("kb_whoami", {}), ("web_search", {"query": "vpn", "limit": 1})])
    handler = FunctionAgent(tools=tools, llm=llm).run("Who am I to the knowledge base?")
    results = {ev.tool_name: ev.tool_output async for ev in _results(handler)}
    await handler
    assert results["kb_whoami"].raw_output == {
        "server": "knowledge",
        "identity": "shared-credential",
    }
    assert not results["web_search"].is_error


async def _results(handler: WorkflowHandler) -> AsyncIterator[ToolCallResult]:
    async for ev in handler.stream_events():
        if isinstance(ev, ToolCallResult):
            yield ev


async def test_b_two_users_concurrently_through_one_tool_list(
    dev: DevGateway, gateway: Gateway, alice: str, bob: str, through: Through
) -> None:
    await dev.aconsent("bob", "mail")
    # One tool list, loaded once (as bob, who can list mail), serves every user.
    tools = await through.to_tool_list(GatewayToolSpec(gateway, ["mail", "knowledge"]), token=bob)
    assert "list_messages" in {t.metadata.name for t in tools}
    workflow = AgentWorkflow(
        agents=[
            FunctionAgent(
                name="assistant",
                description="Reads the user's mail.",
                tools=tools,
                llm=scripted_llm([("list_messages", {"limit": 5})]),
            )
        ]
    )

    async def run_as(token: str) -> tuple[list[AuthorizationRequiredEvent], ToolCallResult]:
        ctx = Context(workflow)
        await ctx.store.set("user_token", token)
        handler = workflow.run("What is in my inbox?", ctx=ctx)
        events = [ev async for ev in handler.stream_events()]
        await handler
        auth = [e for e in events if isinstance(e, AuthorizationRequiredEvent)]
        (result,) = [e for e in events if isinstance(e, ToolCallResult)]
        return auth, result

    (alice_auth, alice_res), (bob_auth, bob_res) = await asyncio.gather(run_as(alice), run_as(bob))
    # Bob reads his own mail; Alice, not yet consented, gets the consent observation.
    assert bob_res.tool_output.raw_output["owner"] == "bob@example.com"
    assert "Invoice #4411" in bob_res.tool_output.content
    assert not bob_auth
    assert alice_res.tool_output.raw_output["type"] == "authorization_required"
    assert "Q3 roadmap" not in json.dumps(bob_res.tool_output.raw_output)
    link = alice_auth[0].authorization_urls["mail"]
    assert link in alice_res.tool_output.content

    await dev.aconsent("alice", "mail", link=link)
    (_, alice_res), (_, bob_res) = await asyncio.gather(run_as(alice), run_as(bob))
    assert alice_res.tool_output.raw_output["owner"] == "alice@example.com"
    assert "Q3 roadmap review" in alice_res.tool_output.content
    assert bob_res.tool_output.raw_output["owner"] == "bob@example.com"


async def test_c_virtual_server_mid_session_401(
    dev: DevGateway, gateway: Gateway, alice: str
) -> None:
    tools = await GatewayToolSpec(gateway, ["workspace"]).to_tool_list_async(token=alice)
    llm = scripted_llm(
        [("search_docs", {"query": "expense"}), ("list_messages", {"limit": 1})],
        [("get_article", {"article_id": "kb-2"})],
    )
    agent = FunctionAgent(tools=tools, llm=llm)
    ctx = Context(agent)
    await ctx.store.set("user_token", alice)
    opened = gateway.sessions_opened()
    handler = agent.run("Expenses, and my latest mail", ctx=ctx)
    results = [ev async for ev in _results(handler)]
    await handler
    by_tool = {r.tool_name: r.tool_output for r in results}
    # The per-user tool reports the consent link; the shared ones work, before and after.
    assert by_tool["list_messages"].raw_output["type"] == "authorization_required"
    assert "kb-2: Expense policy" in by_tool["search_docs"].content
    assert by_tool["get_article"].raw_output["title"] == "Expense policy"
    # The 401 came mid-session; the session (opened when listing) survived it.
    assert gateway.sessions_opened() == opened == 1

    # After consent the same tools, with no reload, reach the user's mailbox.
    await dev.aconsent("alice", "mail")
    agent.llm = scripted_llm([("list_messages", {"limit": 1})])
    ctx = Context(agent)
    await ctx.store.set("user_token", alice)
    handler = agent.run("my latest mail", ctx=ctx)
    (result,) = [ev async for ev in _results(handler)]
    await handler
    assert result.tool_output.raw_output["owner"] == "alice@example.com"


async def test_c_react_agent_relays_the_consent_link(
    dev: DevGateway, gateway: Gateway, alice: str, through: Through
) -> None:
    tools = await through.to_tool_list(GatewayToolSpec(gateway, ["workspace"]), token=alice)
    rec = Recorder()
    agent = ReActAgent(tools=tools, llm=react_llm(("list_messages", {"limit": 1}), recorder=rec))
    ctx = Context(agent)
    await ctx.store.set("user_token", alice)
    handler = agent.run("my latest mail", ctx=ctx)
    events = [ev async for ev in handler.stream_events()]
    result = await handler
    (event,) = [e for e in events if isinstance(e, AuthorizationRequiredEvent)]
    link = event.authorization_urls["mail"]
    # The model read the observation text (links and display name), and relayed it.
    assert f"Mail: {link}" in rec.text()
    assert link in str(result)

    await dev.aconsent("alice", "mail")
    ctx = Context(agent)
    await ctx.store.set("user_token", alice)
    result = await agent.run("my latest mail", ctx=ctx)
    assert "Q3 roadmap review" in str(result)
