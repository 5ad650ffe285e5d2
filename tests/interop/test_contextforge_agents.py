"""Real agents through a real ContextForge, one tool list for every user.

A LangChain ``create_agent`` and a LlamaIndex ``FunctionAgent`` (scripted models,
no network beyond loopback) call ContextForge's per-user OAuth upstream; each run
carries its user's ContextForge token, and the upstream sees that user's own grant.
A user who has not consented gets the consent link as the tool's observation.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage, ToolMessage
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.workflow import Context as WorkflowContext

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.langchain import GatewayToolkit
from mcp_gateway_tools.langchain.testing import scripted_chat_model
from mcp_gateway_tools.llamaindex import GatewayToolSpec
from mcp_gateway_tools.llamaindex.testing import scripted_llm
from tests.interop.conftest import ContextForgeSetup


@dataclass
class RunContext:
    user_token: str | None = None


@pytest.fixture
async def contextforge_gateway(consented: ContextForgeSetup) -> Any:
    url = consented.cf.server_url(consented.oauth_server)
    async with Gateway(servers={"mail": url}) as gw:
        yield gw


async def test_langchain_create_agent_runs_as_each_user(
    consented: ContextForgeSetup, contextforge_gateway: Gateway
) -> None:
    frank = consented.cf.create_user("frank@example.com")  # never consented
    tools = await GatewayToolkit(contextforge_gateway, ["mail"]).aget_tools(token=consented.alice)
    agent = create_agent(scripted_chat_model(("mail-whoami", {})), tools, context_schema=RunContext)

    async def run(token: str) -> ToolMessage:
        state = await agent.ainvoke(
            {"messages": [HumanMessage("who am I to mail?")]}, context=RunContext(token)
        )
        [message] = [m for m in state["messages"] if isinstance(m, ToolMessage)]
        return message

    as_alice, as_bob, as_frank = await asyncio.gather(
        run(consented.alice), run(consented.bob), run(frank)
    )
    assert as_alice.artifact["structured_content"]["user"] == "alice"
    assert as_bob.artifact["structured_content"]["user"] == "bob"
    assert as_frank.artifact["type"] == "authorization_required"
    link = as_frank.artifact["authorization_urls"]["mail"]
    assert link == f"{consented.url}/oauth/authorize/{consented.oauth_gateway_id}"
    assert link in as_frank.text  # the model can relay it


async def test_llamaindex_function_agent_runs_as_each_user(
    consented: ContextForgeSetup, contextforge_gateway: Gateway
) -> None:
    tools = await GatewayToolSpec(contextforge_gateway, ["mail"]).to_tool_list_async(
        token=consented.bob
    )
    agent = FunctionAgent(tools=tools, llm=scripted_llm([("mail-whoami", {})]))

    async def run(token: str) -> Any:
        ctx = WorkflowContext(agent)
        await ctx.store.set("user_token", token)
        handler = agent.run("who am I to mail?", ctx=ctx)
        results = [ev async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)]
        await handler
        [result] = results
        return result.tool_output.raw_output

    as_alice, as_bob = await asyncio.gather(run(consented.alice), run(consented.bob))
    assert as_alice["user"] == "alice"
    assert as_bob["user"] == "bob"
