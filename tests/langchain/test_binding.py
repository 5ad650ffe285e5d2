"""Whose token a call carries: each binding path, their order, and no token at all.

Identity is checked end to end: the mail server answers with the mailbox owner it
derived from the OAuth token the gateway injected for the caller's gateway token.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.tools import BaseTool
from pydantic import SecretStr

from mcp_gateway_tools import ConfigurationError, Gateway, MissingUserToken, user_token
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.langchain import GatewayToolkit
from mcp_gateway_tools.langchain.testing import tool_call
from tests.langchain.conftest import (
    AGENT_KINDS,
    Context,
    ask,
    build_agent,
    owner,
    scripted,
    tool_messages,
)
from tests.support.through import Through

ALICE, BOB = "alice@example.com", "bob@example.com"


async def whose(tool: BaseTool, config: dict[str, Any] | None = None) -> str:
    return owner(await tool.ainvoke(tool_call(tool.name, {}), config))  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", AGENT_KINDS)
async def test_run_context_attribute(
    kind: str, mail_tools: dict[str, BaseTool], bob: str, through: Through
) -> None:
    agent = build_agent(kind, scripted(("list_messages", {})), list(mail_tools.values()))
    state = await through.invoke(agent, ask(), context=Context(user_token=bob))
    assert owner(tool_messages(state)[0]) == BOB


async def test_run_context_mapping_and_secretstr(
    mail_tools: dict[str, BaseTool], bob: str, through: Through
) -> None:
    agent = build_agent(
        "toolnode", scripted(("list_messages", {})), list(mail_tools.values()), context_schema=dict
    )
    state = await through.invoke(agent, ask(), context={"user_token": SecretStr(bob)})
    assert owner(tool_messages(state)[0]) == BOB


async def test_configurable(
    mail_tools: dict[str, BaseTool], bob: str, alice: str, through: Through
) -> None:
    tool = mail_tools["list_messages"]
    assert await whose(tool, {"configurable": {"user_token": bob}}) == BOB
    assert await whose(tool, {"configurable": {"user_token": SecretStr(alice)}}) == ALICE
    agent = build_agent("create_agent", scripted(("list_messages", {})), [tool])
    state = await through.invoke(agent, ask(), {"configurable": {"user_token": bob}})
    assert owner(tool_messages(state)[0]) == BOB


async def test_user_token_binding(
    mail_tools: dict[str, BaseTool], bob: str, through: Through
) -> None:
    agent = build_agent("create_agent", scripted(("list_messages", {})), list(mail_tools.values()))
    with user_token(bob):
        state = await through.invoke(agent, ask())
    assert owner(tool_messages(state)[0]) == BOB


async def test_order_context_then_configurable_then_bound_then_service(
    dev: DevGateway, alice: str, bob: str, through: Through
) -> None:
    await dev.aconsent("alice", "mail")
    await dev.aconsent("bob", "mail")
    async with Gateway(dev.base_url, token=dev.tokens.service, protocol_mode="legacy") as gw:
        [tool] = await through.get_tools(
            GatewayToolkit(gw, ["mail"], tool_filter=["list_messages"]), token=alice
        )
        agent = build_agent("create_agent", scripted(("list_messages", {})), [tool])
        with user_token(alice):
            # run context beats configurable beats user_token()
            state = await through.invoke(
                agent,
                ask(),
                {"configurable": {"user_token": alice}},
                context=Context(user_token=bob),
            )
            assert owner(tool_messages(state)[0]) == BOB
            state = await through.invoke(agent, ask(), {"configurable": {"user_token": bob}})
            assert owner(tool_messages(state)[0]) == BOB
            state = await through.invoke(agent, ask(), context=Context(user_token=None))
            assert owner(tool_messages(state)[0]) == ALICE
        # nothing per-request: the service token, which mail refuses (per-user OAuth)
        state = await through.invoke(agent, ask())
        [denied] = tool_messages(state)
        assert denied.status == "error"
        assert "per-user OAuth" in denied.text


async def test_missing_token_propagates(mail_tools: dict[str, BaseTool], through: Through) -> None:
    tool = mail_tools["list_messages"]
    with pytest.raises(MissingUserToken, match="user_token"):
        await through.invoke(tool, tool_call(tool.name, {}))
    agent = build_agent("create_agent", scripted(("list_messages", {})), [tool])
    with pytest.raises(MissingUserToken):
        await through.invoke(agent, ask(), context=Context(user_token=None))
    with pytest.raises(MissingUserToken):  # a blank value is no token, not a fallback
        await through.invoke(tool, tool_call(tool.name, {}), {"configurable": {"user_token": "  "}})


async def test_listing_needs_an_identity_too(gateway: Gateway, through: Through) -> None:
    with pytest.raises(MissingUserToken):
        await through.get_tools(GatewayToolkit(gateway, ["knowledge"]))


async def test_a_blank_or_mistyped_user_token_fails_closed(
    service_gateway: Gateway, through: Through
) -> None:
    """A request that carries an empty user token must not run as the service."""
    [tool] = await through.get_tools(
        GatewayToolkit(service_gateway, ["knowledge"], tool_filter=["kb_whoami"])
    )
    agent = build_agent("create_agent", scripted(("kb_whoami", {})), [tool], context_schema=dict)
    with pytest.raises(MissingUserToken):
        await through.invoke(agent, ask(), context={"user_token": ""})
    with pytest.raises(MissingUserToken):
        await through.invoke(tool, tool_call("kb_whoami"), {"configurable": {"user_token": ""}})
    with pytest.raises(ConfigurationError, match=r"str or pydantic\.SecretStr"):
        await through.invoke(agent, ask(), context={"user_token": 42})
    state = await through.invoke(agent, ask(), context={"user_token": None})  # not set: the service
    assert tool_messages(state)[0].status == "success"
