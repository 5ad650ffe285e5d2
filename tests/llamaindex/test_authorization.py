"""Authorization required: observation, raise and wait (human in the loop), with events."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent, ToolCallResult
from llama_index.core.workflow import Context, Event
from workflows.handler import WorkflowHandler

from mcp_gateway_tools import AuthorizationRequired, Gateway, user_token
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.llamaindex import (
    AuthorizationCompletedEvent,
    AuthorizationPolicy,
    AuthorizationRequiredEvent,
    GatewayTool,
    GatewayToolSpec,
)
from mcp_gateway_tools.llamaindex._context import PENDING_KEY
from mcp_gateway_tools.llamaindex.testing import scripted_llm
from tests.llamaindex.agents import Recorder
from tests.support.contract import OBSERVATION_KEYS
from tests.support.through import Through


async def _workspace(
    gateway: Gateway, token: str, policy: AuthorizationPolicy = "observation", **kw: Any
) -> dict[str, GatewayTool]:
    """The virtual server: its mail tools list without consent and 401 on call."""
    spec = GatewayToolSpec(gateway, ["workspace"], on_authorization_required=policy, **kw)
    return {t.metadata.name or "": t for t in await spec.to_tool_list_async(token=token)}


async def _drive(
    handler: WorkflowHandler,
    dev: DevGateway,
    *,
    user: str = "alice",
    consent: bool = True,
    approve: bool = True,
    answer: bool = True,
) -> tuple[list[Event], Any]:
    """The app side: render events; on a waiting one, consent and answer it."""
    events: list[Event] = []
    async for ev in handler.stream_events():
        events.append(ev)
        if isinstance(ev, AuthorizationRequiredEvent) and ev.waiting and answer:
            if consent:
                await dev.aconsent(user, "mail")
            assert handler.ctx is not None
            handler.ctx.send_event(
                AuthorizationCompletedEvent(request_id=ev.request_id, approved=approve)
            )
    return events, await handler


def _auth_events(events: list[Event]) -> list[AuthorizationRequiredEvent]:
    return [e for e in events if isinstance(e, AuthorizationRequiredEvent)]


def _results(events: list[Event]) -> list[ToolCallResult]:
    return [e for e in events if isinstance(e, ToolCallResult)]


async def test_observation_lists_every_link_and_fires_the_callback(
    dev: DevGateway, gateway: Gateway, alice: str, through: Through
) -> None:
    seen: list[AuthorizationRequiredEvent] = []
    tools = await _workspace(gateway, alice, callback=seen.append)
    with user_token(alice):
        out = await through.call(tools["list_messages"], limit=1)
    assert not out.is_error
    obs = out.raw_output
    assert obs["type"] == "authorization_required"
    assert set(obs) == OBSERVATION_KEYS
    link = obs["authorization_urls"]["mail"]
    assert link.startswith(dev.base_url)
    assert f"- Mail: {link}" in out.content
    assert "ask the user to authorize" in out.content
    assert [e.observation for e in seen] == [obs]
    assert seen[0].tool_name == "list_messages"
    assert not seen[0].waiting


async def test_observation_in_an_agent_reaches_model_and_stream(
    dev: DevGateway, gateway: Gateway, alice: str
) -> None:
    calls: list[str] = []

    async def callback(ev: AuthorizationRequiredEvent) -> None:
        calls.append(ev.request_id)

    tools = await _workspace(gateway, alice, callback=callback)
    rec = Recorder()
    agent = FunctionAgent(
        tools=list(tools.values()), llm=scripted_llm([("list_messages", {})], on_request=rec)
    )
    ctx = Context(agent)
    await ctx.store.set("user_token", alice)
    events, result = await _drive(agent.run("my mail?", ctx=ctx), dev, answer=False)
    (event,) = _auth_events(events)
    assert not event.waiting
    assert event.server_names == {"mail": "Mail"}
    assert calls == [event.request_id]
    link = event.authorization_urls["mail"]
    assert link in str(rec.tool_messages()[0].content)
    assert link in str(result)
    assert _results(events)[0].tool_output.raw_output == event.observation


async def test_raise_policy(
    dev: DevGateway, gateway: Gateway, alice: str, through: Through
) -> None:
    tools = await _workspace(gateway, alice, "raise")
    with user_token(alice), pytest.raises(AuthorizationRequired) as info:
        await through.call(
            tools["list_messages"],
        )
    assert "mail" in info.value.authorization_urls
    # In an agent, LlamaIndex turns the exception into an error result that keeps it,
    # and the event still reaches the stream.
    agent = FunctionAgent(tools=list(tools.values()), llm=scripted_llm([("list_messages", {})]))
    ctx = Context(agent)
    await ctx.store.set("user_token", alice)
    events, _ = await _drive(agent.run("my mail?", ctx=ctx), dev, answer=False)
    assert len(_auth_events(events)) == 1
    output = _results(events)[0].tool_output
    assert output.is_error
    assert isinstance(output.exception, AuthorizationRequired)


async def test_wait_policy_end_to_end(dev: DevGateway, gateway: Gateway, alice: str) -> None:
    seen: list[AuthorizationRequiredEvent] = []
    tools = await _workspace(gateway, alice, "wait", callback=seen.append)
    llm = scripted_llm([("list_messages", {"limit": 1}), ("search_docs", {"query": "vpn"})])
    agent = FunctionAgent(tools=list(tools.values()), llm=llm)
    ctx = Context(agent)
    await ctx.store.set("user_token", alice)
    events, result = await _drive(agent.run("mail and docs", ctx=ctx), dev)
    (event,) = _auth_events(events)
    assert event.waiting
    assert seen == [event]
    outputs = {r.tool_name: r.tool_output for r in _results(events)}
    assert outputs["list_messages"].raw_output["owner"] == "alice@example.com"
    assert not outputs["list_messages"].is_error
    assert "kb-3" in outputs["search_docs"].content
    assert "Q3 roadmap review" in str(result)
    # Every recorded pause was collected: nothing left to wake a stale call later.
    assert not await ctx.store.get(PENDING_KEY, default=None)


async def test_wait_policy_in_an_agent_workflow(
    dev: DevGateway, gateway: Gateway, alice: str
) -> None:
    tools = await _workspace(gateway, alice, "wait")
    workflow = AgentWorkflow(
        agents=[
            FunctionAgent(
                name="mail",
                description="Reads mail.",
                tools=list(tools.values()),
                llm=scripted_llm([("mail_whoami", {})]),
            )
        ]
    )
    ctx = Context(workflow)
    await ctx.store.set("user_token", alice)
    events, _ = await _drive(workflow.run("who am I?", ctx=ctx), dev)
    assert [e.waiting for e in _auth_events(events)] == [True]
    assert _results(events)[0].tool_output.raw_output["user"] == "alice@example.com"


async def test_wait_two_parallel_calls_each_get_their_answer(
    dev: DevGateway, gateway: Gateway, alice: str
) -> None:
    tools = await _workspace(gateway, alice, "wait")
    agent = FunctionAgent(
        tools=list(tools.values()),
        llm=scripted_llm([("list_messages", {"limit": 1}), ("mail_whoami", {})]),
    )
    ctx = Context(agent)
    await ctx.store.set("user_token", alice)
    events, _ = await _drive(agent.run("mail", ctx=ctx), dev)
    waiting = [e for e in _auth_events(events) if e.waiting]
    assert len({e.request_id for e in waiting}) == 2
    outputs = {r.tool_name: r.tool_output for r in _results(events)}
    assert outputs["mail_whoami"].raw_output["user"] == "alice@example.com"
    assert outputs["list_messages"].raw_output["owner"] == "alice@example.com"


async def test_wait_declined(dev: DevGateway, gateway: Gateway, alice: str) -> None:
    tools = await _workspace(gateway, alice, "wait")
    agent = FunctionAgent(tools=list(tools.values()), llm=scripted_llm([("list_messages", {})]))
    ctx = Context(agent)
    await ctx.store.set("user_token", alice)
    events, _ = await _drive(agent.run("mail", ctx=ctx), dev, consent=False, approve=False)
    output = _results(events)[0].tool_output
    assert not output.is_error  # as in LangChain: the tool did what the user chose
    assert output.raw_output["type"] == "authorization_declined"
    assert "chose not to authorize Mail" in output.content  # the same text as LangChain


async def test_wait_answered_without_consent_ends_in_the_observation(
    dev: DevGateway, gateway: Gateway, alice: str
) -> None:
    tools = await _workspace(gateway, alice, "wait")
    agent = FunctionAgent(tools=list(tools.values()), llm=scripted_llm([("list_messages", {})]))
    ctx = Context(agent)
    await ctx.store.set("user_token", alice)
    events, _ = await _drive(agent.run("mail", ctx=ctx), dev, consent=False)
    first, second = _auth_events(events)
    assert first.waiting
    assert not second.waiting  # retried once, then told the model
    output = _results(events)[0].tool_output
    assert output.raw_output["type"] == "authorization_required"


async def test_wait_times_out_into_the_observation(
    dev: DevGateway, gateway: Gateway, alice: str
) -> None:
    tools = await _workspace(gateway, alice, "wait", wait_timeout=0.3)
    agent = FunctionAgent(tools=list(tools.values()), llm=scripted_llm([("list_messages", {})]))
    ctx = Context(agent)
    await ctx.store.set("user_token", alice)
    events, _ = await _drive(agent.run("mail", ctx=ctx), dev, answer=False)
    output = _results(events)[0].tool_output
    assert output.raw_output["type"] == "authorization_required"
    assert not await ctx.store.get(PENDING_KEY, default=None)


async def test_wait_outside_a_workflow_returns_the_observation(
    gateway: Gateway, alice: str, through: Through
) -> None:
    tools = await _workspace(gateway, alice, "wait")
    with user_token(alice):
        out = await through.call(
            tools["list_messages"],
        )
    assert out.raw_output["type"] == "authorization_required"


async def test_placeholder_tool_waits_too(dev: DevGateway, gateway: Gateway, alice: str) -> None:
    spec = GatewayToolSpec(gateway, ["mail"], on_authorization_required="wait")
    tools = await spec.to_tool_list_async(token=alice)
    assert [t.metadata.name for t in tools] == ["authorize_mail"]
    agent = FunctionAgent(tools=tools, llm=scripted_llm([("authorize_mail", {})]))
    ctx = Context(agent)
    await ctx.store.set("user_token", alice)
    events, _ = await _drive(agent.run("connect my mail", ctx=ctx), dev)
    assert _results(events)[0].tool_output.raw_output == {"type": "authorized", "server": "mail"}


async def test_a_failing_callback_does_not_fail_the_tool(
    gateway: Gateway, alice: str, caplog: pytest.LogCaptureFixture, through: Through
) -> None:
    def broken(ev: AuthorizationRequiredEvent) -> None:
        raise RuntimeError("UI is down")

    tools = await _workspace(gateway, alice, callback=broken)
    with user_token(alice), caplog.at_level(logging.ERROR):
        out = await through.call(
            tools["list_messages"],
        )
    assert out.raw_output["type"] == "authorization_required"
    assert "authorization callback failed" in caplog.text
