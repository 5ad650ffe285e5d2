"""The app user reaches the core from each adapter's per-request place, HTTP-free.

LangChain: ``config["configurable"]["app_user"]`` (and the run context); LlamaIndex:
the workflow Context key ``"app_user"``. A user without a grant gets the ordinary
authorization observation (link for that user); one with a grant gets their result.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import ToolMessage
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.workflow import Context

from mcp_gateway_tools import app_user
from mcp_gateway_tools.langchain import GatewayToolkit
from mcp_gateway_tools.langchain.testing import tool_call
from mcp_gateway_tools.llamaindex import GatewayToolSpec
from mcp_gateway_tools.llamaindex.testing import scripted_llm
from tests.oauth.conftest import OAuthApp
from tests.oauth.servers import browse
from tests.oauth.test_flow import link_for

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
