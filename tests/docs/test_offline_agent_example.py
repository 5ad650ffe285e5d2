"""The README's "Testing your own agent offline" example, verbatim: keep the two equal."""

from __future__ import annotations

from langchain.agents import create_agent

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.langchain import GatewayToolkit
from mcp_gateway_tools.langchain.testing import scripted_chat_model


async def test_agent_answers_from_the_knowledge_base(devgateway):  # type: ignore[no-untyped-def]
    async with Gateway(devgateway.base_url, token=devgateway.tokens.service) as gateway:
        tools = await GatewayToolkit(gateway, servers=["knowledge"]).aget_tools()
        agent = create_agent(scripted_chat_model(("search_docs", {"query": "vpn"})), tools)
        result = await agent.ainvoke({"messages": [{"role": "user", "content": "VPN?"}]})
    assert "kb-" in result["messages"][-1].text


def test_the_readme_shows_this_example_verbatim() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    source = Path(__file__).read_text()
    body = source[source.index("async def test_agent") : source.index("\n\n\ndef test_the_readme")]
    body = body.replace("  # type: ignore[no-untyped-def]", "")
    assert body in readme
