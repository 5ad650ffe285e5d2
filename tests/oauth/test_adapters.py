"""The app user reaches the core from each adapter's per-request place, HTTP-free.

LangChain: ``config["configurable"]["app_user"]`` (and the run context); LlamaIndex:
the workflow Context key ``"app_user"``. A user without a grant gets the ordinary
authorization observation (link for that user); one with a grant gets their result.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.workflow import Context

from mcp_gateway_tools import app_user
from mcp_gateway_tools.langchain import GatewayToolkit, aresume_when_authorized
from mcp_gateway_tools.langchain.testing import scripted_chat_model, tool_call
from mcp_gateway_tools.llamaindex import GatewayToolSpec
from mcp_gateway_tools.llamaindex.testing import scripted_llm
from tests.oauth.conftest import OAuthApp
from tests.oauth.servers import browse
from tests.oauth.test_flow import link_for
from tests.support.timing import scaled

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def consented(app: OAuthApp, user: str) -> None:
    link = await link_for(app, user)
    page = await browse(link, user=user, callback_prefix=app.callback_prefix)
    assert page.status_code == 200


async def test_langchain_reads_the_app_user_from_configurable(oauth_app: OAuthApp) -> None:
    await consented(oauth_app, "lc-alice")
    with app_user("lc-alice"):
        [tool] = await GatewayToolkit(oauth_app.gateway, ["docs"]).aget_tools()
    done: Any = await tool.ainvoke(
        tool_call(tool.name, {}), {"configurable": {"app_user": "lc-alice"}}
    )
    assert isinstance(done, ToolMessage)
    assert done.status == "success", done.text
    asked: Any = await tool.ainvoke(
        tool_call(tool.name, {}), {"configurable": {"app_user": "lc-bob"}}
    )
    assert asked.artifact["type"] == "authorization_required"
    link = asked.artifact["authorization_urls"]["docs"]
    assert link in asked.text
    assert link == await link_for(oauth_app, "lc-bob"), "the link is lc-bob's own"


async def test_llamaindex_reads_the_app_user_from_the_workflow_context(
    oauth_app: OAuthApp,
) -> None:
    await consented(oauth_app, "li-alice")
    with app_user("li-alice"):
        tools = await GatewayToolSpec(oauth_app.gateway, ["docs"]).to_tool_list_async()

    async def run_as(user: str) -> Any:
        name = tools[0].metadata.name or ""
        agent = FunctionAgent(tools=tools, llm=scripted_llm([(name, {})]))
        ctx = Context(agent)
        await ctx.store.set("app_user", user)
        handler = agent.run("who am I?", ctx=ctx)
        results = [ev async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)]
        await handler
        return results[0].tool_output

    assert not (await run_as("li-alice")).is_error
    asked = await run_as("li-bob")
    assert asked.raw_output["type"] == "authorization_required"


@dataclass
class RunContext:
    app_user: str


async def test_a_paused_langgraph_run_resumes_once_the_users_callback_completes(
    oauth_app: OAuthApp,
) -> None:
    await consented(oauth_app, "lg-alice")
    toolkit = GatewayToolkit(oauth_app.gateway, ["docs"], on_authorization_required="interrupt")
    with app_user("lg-alice"):
        tools = await toolkit.aget_tools()
    agent = create_agent(
        scripted_chat_model(("whoami", {})),
        tools,
        context_schema=RunContext,
        checkpointer=InMemorySaver(),
    )
    config: Any = {"configurable": {"thread_id": "lg-bob-1"}}
    context = RunContext(app_user="lg-bob")
    paused = await agent.ainvoke({"messages": [("user", "who?")]}, config, context=context)
    [interrupt] = paused["__interrupt__"]
    link = interrupt.value["authorization_urls"]["docs"]
    resumed = asyncio.create_task(
        aresume_when_authorized(
            agent, paused, gateway=oauth_app.gateway, config=config, context=context
        )
    )
    page = await browse(link, user="lg-bob", callback_prefix=oauth_app.callback_prefix)
    assert page.status_code == 200
    async with asyncio.timeout(scaled(30)):
        state = await resumed
    [message] = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert message.status == "success", message.text
