"""A TokenReference in the Context's "user_token": no token stored, fail closed (issue 14)."""

from __future__ import annotations

import asyncio
from typing import Any

from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.workflow import Context

from mcp_gateway_tools import Gateway, MissingUserToken
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.llamaindex import (
    AuthorizationRequiredEvent,
    GatewayToolSpec,
    TokenReference,
    bind_token_reference,
    complete_when_authorized,
)
from mcp_gateway_tools.llamaindex.testing import scripted_llm
from tests.support.through import Through


async def test_a_bound_reference_acts_for_that_user_and_the_context_holds_no_token(
    dev: DevGateway, gateway: Gateway, alice: str
) -> None:
    agent = FunctionAgent(
        tool_retriever=GatewayToolSpec(gateway, ["knowledge"]).as_retriever(),
        llm=scripted_llm([("kb_whoami", {})]),
    )
    ctx = Context(agent)
    await ctx.store.set("user_token", TokenReference(ref="user-42"))
    with bind_token_reference("user-42", alice):
        handler = agent.run("who am I?", ctx=ctx)
        outputs = [
            e.tool_output async for e in handler.stream_events() if isinstance(e, ToolCallResult)
        ]
        await handler
    assert not outputs[0].is_error
    assert alice not in str(handler.ctx.to_dict())


async def test_an_unbound_reference_fails_closed_even_with_a_service_token(
    dev: DevGateway, service_gateway: Gateway, through: Through
) -> None:
    # The service token must never stand in for the user the reference names.
    agent = FunctionAgent(
        tools=await through.to_tool_list(GatewayToolSpec(service_gateway, ["knowledge"])),
        llm=scripted_llm([("kb_whoami", {})]),
    )
    ctx = Context(agent)
    await ctx.store.set("user_token", TokenReference(ref="nobody-bound-me"))
    handler = agent.run("who am I?", ctx=ctx)
    (output,) = [
        e.tool_output async for e in handler.stream_events() if isinstance(e, ToolCallResult)
    ]
    await handler
    # The agent reports the tool's exception to the model; no call was made for anyone.
    assert output.is_error
    assert isinstance(output.exception, MissingUserToken)
    assert "nobody-bound-me" in str(output.exception)


async def test_a_waiting_tool_is_answered_as_soon_as_the_consent_works(
    dev: DevGateway, gateway: Gateway, alice: str
) -> None:
    spec = GatewayToolSpec(gateway, ["mail"], on_authorization_required="wait")
    agent = FunctionAgent(
        tool_retriever=spec.as_retriever(),
        llm=scripted_llm([("authorize_mail", {})], [("mail_whoami", {})]),
    )
    ctx = Context(agent)
    await ctx.store.set("user_token", TokenReference(ref="alice"))
    answering: list[asyncio.Task[None]] = []
    with bind_token_reference("alice", alice):
        handler = agent.run("go", ctx=ctx)
        outputs = []
        async for ev in handler.stream_events():
            if isinstance(ev, AuthorizationRequiredEvent) and ev.waiting:
                # No "done" button: the app hands the wait to the helper...
                answering.append(
                    asyncio.create_task(complete_when_authorized(handler.ctx, ev, gateway=gateway))
                )
                await dev.aconsent("alice", "mail")  # ...and the user consents
            elif isinstance(ev, ToolCallResult):
                outputs.append(ev.tool_output)
        await handler
    await asyncio.gather(*answering)
    assert outputs[0].raw_output["type"] == "authorized"
    assert outputs[1].raw_output["user"] == "alice@example.com"


async def test_a_tool_can_wait_for_the_consent_itself_and_finish_the_run(
    dev: DevGateway, gateway: Gateway, alice: str
) -> None:
    from mcp_gateway_tools.llamaindex import wait_for_consent

    spec = GatewayToolSpec(
        gateway, ["mail"], on_authorization_required=wait_for_consent(gateway, timeout=60)
    )
    agent = FunctionAgent(
        tool_retriever=spec.as_retriever(),
        llm=scripted_llm([("authorize_mail", {})], [("mail_whoami", {})]),
    )
    ctx = Context(agent)
    await ctx.store.set("user_token", alice)
    handler = agent.run("go", ctx=ctx)

    async def outputs() -> list[Any]:
        return [
            e.tool_output async for e in handler.stream_events() if isinstance(e, ToolCallResult)
        ]

    collecting = asyncio.create_task(outputs())
    await asyncio.sleep(0)
    await dev.aconsent("alice", "mail")
    authorized, whoami = await collecting
    await handler
    assert authorized.raw_output["type"] == "authorized"
    assert whoami.raw_output["user"] == "alice@example.com"
