"""A token provider as the run's ``user_token``: asked per call, refreshed on expiry."""

from __future__ import annotations

from langchain_core.tools import BaseTool
from pydantic import SecretStr

from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.langchain.testing import tool_call
from tests.langchain.conftest import Context, ask, build_agent, owner, scripted, tool_messages


class JwtSource:
    """Bob's IdP session: the first JWT it hands out has already expired."""

    def __init__(self, dev: DevGateway) -> None:
        self.jwts = [dev.issue_jwt("bob", expires_in=-3600), dev.issue_jwt("bob")]
        self.asked = 0

    async def __call__(self) -> SecretStr:
        self.asked += 1
        return SecretStr(self.jwts[min(self.asked, 2) - 1])


async def test_create_agent_with_an_expiring_jwt_provider_in_the_run_context(
    dev: DevGateway, mail_tools: dict[str, BaseTool]
) -> None:
    source = JwtSource(dev)
    agent = build_agent("create_agent", scripted(("list_messages", {})), list(mail_tools.values()))
    state = await agent.ainvoke(ask(), context=Context(user_token=source))
    assert owner(tool_messages(state)[0]) == "bob@example.com"
    assert source.asked == 2  # expired -> InvalidToken -> asked once more -> retried


async def test_a_provider_in_configurable(dev: DevGateway, mail_tools: dict[str, BaseTool]) -> None:
    tool = mail_tools["list_messages"]
    source = JwtSource(dev)
    message = await tool.ainvoke(
        tool_call(tool.name, {}),
        {"configurable": {"user_token": source}},  # type: ignore[arg-type]
    )
    assert owner(message) == "bob@example.com"
