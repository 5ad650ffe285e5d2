"""Interrupt -> consent in the browser-less helper -> the run resumes by itself (issue 14).

A real ``create_agent`` run pauses under the ``interrupt`` policy; the app hands it to
``aresume_when_authorized`` (no "done" button), the user completes consent with the dev
gateway's helper, and the run resumes and finishes for that user.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from mcp_gateway_tools import ConfigurationError, Gateway
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.langchain import (
    GatewayToolkit,
    GatewayToolsMiddleware,
    aresume_when_authorized,
    authorization_interrupts,
    resume_command_when_authorized,
)
from mcp_gateway_tools.langchain.testing import scripted_chat_model
from tests.langchain.conftest import Context, ask, tool_messages


def consent_pausing_agent(gateway: Gateway) -> Any:
    """An agent whose mail tools load as an ``authorize_mail`` placeholder that
    interrupts; the script then calls ``mail_whoami``."""
    toolkit = GatewayToolkit(gateway, ["mail"], on_authorization_required="interrupt")
    return create_agent(
        scripted_chat_model(("authorize_mail", {}), ("mail_whoami", {})),
        tools=[],
        middleware=[GatewayToolsMiddleware(toolkit)],
        checkpointer=InMemorySaver(),
        context_schema=Context,
    )


async def test_a_paused_run_resumes_by_itself_once_the_user_consents(
    dev: DevGateway, gateway: Gateway, alice: str
) -> None:
    agent = consent_pausing_agent(gateway)
    config = {"configurable": {"thread_id": "alice-1"}}
    context = Context(user_token=alice)

    paused = await agent.ainvoke(ask(), config, context=context)
    (pending,) = authorization_interrupts(paused)
    assert pending.value["server"] == "mail"
    assert "mail" in pending.value["authorization_urls"]

    resuming = asyncio.create_task(
        aresume_when_authorized(agent, paused, gateway=gateway, config=config, context=context)
    )
    await asyncio.sleep(0)
    assert not resuming.done()
    await dev.aconsent("alice", "mail")  # what the user does in the browser
    done = await resuming

    authorized, whoami = tool_messages(done)
    assert authorized.artifact["type"] == "authorized"
    # The placeholder gave way to the real tool within the same run.
    assert whoami.artifact["structured_content"]["user"] == "alice@example.com"
    assert "__interrupt__" not in done


async def test_a_tool_can_wait_for_the_consent_itself_and_finish_the_run(
    dev: DevGateway, gateway: Gateway, alice: str
) -> None:
    from mcp_gateway_tools.langchain import wait_for_consent

    toolkit = GatewayToolkit(
        gateway, ["mail"], on_authorization_required=wait_for_consent(gateway, timeout=60)
    )
    agent = create_agent(
        scripted_chat_model(("authorize_mail", {}), ("mail_whoami", {})),
        tools=[],
        middleware=[GatewayToolsMiddleware(toolkit)],
        context_schema=Context,
    )
    running = asyncio.create_task(agent.ainvoke(ask(), context=Context(user_token=alice)))
    await asyncio.sleep(0)
    assert not running.done()
    await dev.aconsent("alice", "mail")
    authorized, whoami = tool_messages(await running)
    assert authorized.artifact["type"] == "authorized"
    assert whoami.artifact["structured_content"]["user"] == "alice@example.com"


async def test_an_app_that_streams_gets_the_resume_command_once_the_user_consents(
    dev: DevGateway, gateway: Gateway, alice: str
) -> None:
    agent = consent_pausing_agent(gateway)
    config = {"configurable": {"thread_id": "alice-stream"}}
    context = Context(user_token=alice)
    await agent.ainvoke(ask(), config, context=context)
    state = await agent.aget_state(config)

    waiting = asyncio.create_task(
        resume_command_when_authorized(list(state.interrupts), gateway=gateway, context=context)
    )
    await asyncio.sleep(0)
    assert not waiting.done()
    await dev.aconsent("alice", "mail")
    command = await waiting
    assert command.resume is True

    finished: list[ToolMessage] = []
    async for event in agent.astream_events(command, config, context=context, version="v2"):
        if event["event"] == "on_tool_end" and isinstance(event["data"]["output"], ToolMessage):
            finished.append(event["data"]["output"])
    assert [m.name for m in finished] == ["authorize_mail", "mail_whoami"]
    assert finished[-1].artifact["structured_content"]["user"] == "alice@example.com"
    assert not (await agent.aget_state(config)).interrupts


async def test_the_resume_command_refuses_a_run_not_paused_on_consent(gateway: Gateway) -> None:
    with pytest.raises(ConfigurationError, match="not paused on an authorization"):
        await resume_command_when_authorized([], gateway=gateway)
