"""A token provider bound around a LlamaIndex run: asked per call, refreshed on expiry.

The workflow Context store serialises what it holds, so a provider (a callable) is
bound with ``user_token(provider)`` around the run instead of stored in the Context.
"""

from __future__ import annotations

from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.workflow import Context

from mcp_gateway_tools import Gateway, user_token
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.llamaindex import GatewayToolSpec
from mcp_gateway_tools.llamaindex.testing import scripted_llm


async def test_function_agent_with_an_expiring_jwt_provider_bound_around_the_run(
    dev: DevGateway, gateway: Gateway, alice: str
) -> None:
    await dev.aconsent("alice", "mail")
    await dev.aconsent("bob", "mail")
    tools = await GatewayToolSpec(gateway, ["mail"]).to_tool_list_async(token=alice)
    jwts = [dev.issue_jwt("bob", expires_in=-3600), dev.issue_jwt("bob")]
    asked: list[str] = []

    def provider() -> str:
        asked.append("asked")
        return jwts[min(len(asked), 2) - 1]

    agent = FunctionAgent(tools=tools, llm=scripted_llm([("mail_whoami", {})]))
    with user_token(provider):
        handler = agent.run("who am I?", ctx=Context(agent))
        results = [ev async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)]
        await handler
    assert results[0].tool_output.raw_output["user"] == "bob@example.com"
    assert len(asked) == 2
