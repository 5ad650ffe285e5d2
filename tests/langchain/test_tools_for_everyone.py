"""One toolkit, built with no user at all, serves every user right (issue 14).

``GatewayToolsMiddleware`` swaps the request's own tool list into every model call of a
real ``create_agent`` agent: the placeholder only while nobody could list a server, the
real tools the moment anyone has, and the gateway's answer deciding each call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from mcp_gateway_tools import Gateway, ToolLoadError, ToolLoadWarning
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.langchain import GatewayToolkit, GatewayToolsMiddleware
from mcp_gateway_tools.langchain.testing import ScriptedChatModel, since_last_human, tool_call
from tests.langchain.conftest import Context, ask, tool_messages
from tests.support.through import Through


class OfferRecordingModel(ScriptedChatModel):
    """A scripted model that also records the tool names each model call was offered."""

    offered: Any = None

    def bind_tools(self, tools: Any, **kwargs: Any) -> OfferRecordingModel:
        self.offered.append(sorted(t.name for t in tools))
        return self


def calls_one(name: str) -> Any:
    """Call ``name`` with no arguments once, then answer with the tool's text."""

    def plan(messages: Sequence[BaseMessage]) -> AIMessage:
        done = [m for m in since_last_human(messages) if isinstance(m, ToolMessage)]
        if not done:
            return AIMessage(content="", tool_calls=[tool_call(name)])
        return AIMessage(content=done[-1].text)

    return plan


def agent_for(toolkit: GatewayToolkit, model: OfferRecordingModel) -> Any:
    return create_agent(
        model, tools=[], middleware=[GatewayToolsMiddleware(toolkit)], context_schema=Context
    )


def model_calling(name: str) -> OfferRecordingModel:
    return OfferRecordingModel(plan=calls_one(name), offered=[], disable_streaming=True)


KNOWLEDGE = {"get_article", "get_diagram", "kb_whoami", "search_docs"}
MAIL = {"list_messages", "mail_whoami", "read_message", "send_message"}


async def test_a_toolkit_built_with_no_user_serves_bob_and_alice_right(
    dev: DevGateway, gateway: Gateway, alice: str, bob: str
) -> None:
    toolkit = GatewayToolkit(gateway, ["knowledge", "mail"])  # nobody to list with yet

    # Bob has not connected Mail and nobody has listed it: the placeholder stands in.
    model = model_calling("authorize_mail")
    out = await agent_for(toolkit, model).ainvoke(ask(), context=Context(user_token=bob))
    assert set(model.offered[0]) == KNOWLEDGE | {"authorize_mail"}
    (message,) = tool_messages(out)
    assert message.artifact["type"] == "authorization_required"
    assert "mail" in message.artifact["authorization_urls"]

    # Alice has connected Mail: in the same process, with no restart, her model call
    # is offered the real mail tools, and her call reaches her own mailbox.
    await dev.aconsent("alice", "mail")
    model = model_calling("mail_whoami")
    out = await agent_for(toolkit, model).ainvoke(ask(), context=Context(user_token=alice))
    assert set(model.offered[0]) == KNOWLEDGE | MAIL
    (message,) = tool_messages(out)
    assert message.artifact["structured_content"]["user"] == "alice@example.com"

    # Bob is now offered the real tools too (Alice listed them); calling one before he
    # consents returns his own consent request from the call itself.
    model = model_calling("mail_whoami")
    out = await agent_for(toolkit, model).ainvoke(ask(), context=Context(user_token=bob))
    assert set(model.offered[0]) == KNOWLEDGE | MAIL
    (message,) = tool_messages(out)
    assert message.artifact["type"] == "authorization_required"
    assert out["messages"][-1].content == message.text

    # Once Bob consents, the same tool object answers with Bob's identity.
    await dev.aconsent("bob", "mail")
    out = await agent_for(toolkit, model_calling("mail_whoami")).ainvoke(
        ask(), context=Context(user_token=bob)
    )
    (message,) = tool_messages(out)
    assert message.artifact["structured_content"]["user"] == "bob@example.com"


async def test_the_placeholder_gives_way_to_the_real_tools_once_the_user_consents(
    dev: DevGateway, gateway: Gateway, alice: str, through: Through
) -> None:
    toolkit = GatewayToolkit(gateway, ["mail"])
    agent_model = model_calling("authorize_mail")
    agent = agent_for(toolkit, agent_model)
    await through.invoke(agent, ask(), context=Context(user_token=alice))
    await dev.aconsent("alice", "mail")
    # The same agent object, the next request: the real tools, no placeholder.
    await through.invoke(agent, ask(), context=Context(user_token=alice))
    assert agent_model.offered[0] == ["authorize_mail"]
    assert set(agent_model.offered[-1]) == MAIL


async def test_two_users_at_once_each_get_their_own_answer(
    dev: DevGateway, gateway: Gateway, alice: str, bob: str
) -> None:
    import asyncio

    await dev.aconsent("alice", "mail")
    await dev.aconsent("bob", "mail")
    toolkit = GatewayToolkit(gateway, ["mail"])
    agent = agent_for(toolkit, model_calling("mail_whoami"))
    outs = await asyncio.gather(
        *(agent.ainvoke(ask(), context=Context(user_token=t)) for t in (alice, bob) * 3)
    )
    users = [tool_messages(o)[0].artifact["structured_content"]["user"] for o in outs]
    assert users == ["alice@example.com", "bob@example.com"] * 3


def test_the_sync_agent_path_swaps_tools_too(dev_server: DevGateway) -> None:
    gateway = Gateway(dev_server.base_url)
    try:
        toolkit = GatewayToolkit(gateway, ["knowledge"])
        model = model_calling("kb_whoami")
        out = agent_for(toolkit, model).invoke(
            ask(), context=Context(user_token=dev_server.tokens.user("alice"))
        )
        assert set(model.offered[0]) == KNOWLEDGE
        assert tool_messages(out)[0].status != "error"
    finally:
        gateway.close()


async def test_a_server_failing_at_load_is_never_dropped_silently(
    dev: DevGateway, service_gateway: Gateway, through: Through
) -> None:
    # The service token cannot hold per-user OAuth: the gateway refuses it on mail.
    toolkit = GatewayToolkit(service_gateway, ["knowledge", "mail"])
    with pytest.warns(ToolLoadWarning, match="mail") as caught:
        tools = await through.get_tools(toolkit)
    assert {t.name for t in tools} == KNOWLEDGE
    assert type(caught[0].message.error).__name__ == "AccessDenied"  # type: ignore[union-attr]
    assert type(toolkit.load_errors["mail"]).__name__ == "AccessDenied"

    strict = GatewayToolkit(service_gateway, ["knowledge", "mail"], on_server_error="raise")
    with pytest.raises(ToolLoadError) as raised:
        await through.get_tools(strict)
    assert set(raised.value.errors) == {"mail"}
    assert "mail: AccessDenied" in str(raised.value)
