"""Whose token a call carries: Context store > user_token() > service token, per call."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.workflow import Context, StartEvent, StopEvent, Workflow, step

from mcp_gateway_tools import AccessDenied, ConfigurationError, Gateway, user_token
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.llamaindex import GatewayTool, GatewayToolSpec
from mcp_gateway_tools.llamaindex.testing import scripted_llm
from tests.support.through import Through


async def _mail_tools(gateway: Gateway, dev: DevGateway, token: str) -> dict[str, GatewayTool]:
    await dev.aconsent("alice", "mail")
    await dev.aconsent("bob", "mail")
    tools = await GatewayToolSpec(gateway, ["mail"]).to_tool_list_async(token=token)
    return {t.metadata.name or "": t for t in tools}


def _owner(out: Any) -> str:
    return str(out.raw_output["user"])


async def _run_agent(tools: list[GatewayTool], ctx_token: Any = None) -> ToolCallResult:
    agent = FunctionAgent(tools=tools, llm=scripted_llm([("mail_whoami", {})]))
    ctx = Context(agent)
    if ctx_token is not None:
        await ctx.store.set("user_token", ctx_token)
    handler = agent.run("who am I?", ctx=ctx)
    results = [ev async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)]
    await handler
    return results[0]


async def test_context_store_token(dev: DevGateway, gateway: Gateway, alice: str) -> None:
    tools = await _mail_tools(gateway, dev, alice)
    result = await _run_agent(list(tools.values()), ctx_token=alice)
    assert _owner(result.tool_output) == "alice@example.com"


async def test_user_token_binding(dev: DevGateway, gateway: Gateway, alice: str, bob: str) -> None:
    tools = await _mail_tools(gateway, dev, alice)
    with user_token(bob):
        result = await _run_agent(list(tools.values()))
    assert _owner(result.tool_output) == "bob@example.com"


async def test_context_token_wins_over_user_token(
    dev: DevGateway, gateway: Gateway, alice: str, bob: str
) -> None:
    tools = await _mail_tools(gateway, dev, alice)
    with user_token(bob):
        result = await _run_agent(list(tools.values()), ctx_token=alice)
    assert _owner(result.tool_output) == "alice@example.com"


async def test_service_token_is_the_last_resort(
    dev: DevGateway, alice: str, through: Through
) -> None:
    async with Gateway(dev.base_url, token=dev.tokens.service) as gw:
        kb = {
            t.metadata.name: t
            for t in await through.to_tool_list(
                GatewayToolSpec(gw, ["search"]),
            )
        }
        # No per-request token: the service token is used, and the server accepts it.
        out = await through.call(kb["web_search"], query="vpn")
        assert not out.is_error
        # A bound user token wins: the service account may not use mail, alice may.
        with pytest.raises(AccessDenied):  # a virtual account cannot hold a user's OAuth
            await through.to_tool_list(
                GatewayToolSpec(gw, ["mail"]),
            )
        await dev.aconsent("alice", "mail")
        with user_token(alice):
            tools = await through.to_tool_list(
                GatewayToolSpec(gw, ["mail"]),
            )
            whoami = next(t for t in tools if t.metadata.name == "mail_whoami")
            assert (
                _owner(
                    await through.call(
                        whoami,
                    )
                )
                == "alice@example.com"
            )


async def test_a_wrong_context_value_is_refused(
    dev: DevGateway, gateway: Gateway, alice: str
) -> None:
    tools = await _mail_tools(gateway, dev, alice)
    result = await _run_agent(list(tools.values()), ctx_token=12345)
    assert result.tool_output.is_error
    assert isinstance(result.tool_output.exception, ConfigurationError)


async def test_tool_called_by_hand_inside_a_workflow_step_uses_its_context(
    dev: DevGateway, gateway: Gateway, alice: str, bob: str
) -> None:
    """Async only: the sync ``call`` reads a Context only when given one (documented)."""
    tools = await _mail_tools(gateway, dev, alice)

    class Flow(Workflow):
        @step
        async def run_tool(self, ctx: Context, ev: StartEvent) -> StopEvent:
            await ctx.store.set("user_token", ev.token)
            out = await tools["mail_whoami"].acall()
            return StopEvent(result=_owner(out))

    assert await Flow().run(token=bob) == "bob@example.com"


async def test_sync_call_inside_a_running_loop_with_each_binding(
    dev: DevGateway, gateway: Gateway, alice: str, bob: str
) -> None:
    tools = await _mail_tools(gateway, dev, alice)
    whoami = tools["mail_whoami"]
    asyncio.get_running_loop()  # a loop is running, as in Jupyter
    with user_token(bob):
        assert _owner(whoami.call()) == "bob@example.com"
        assert _owner(whoami()) == "bob@example.com"
    ctx = Context(FunctionAgent(tools=[whoami], llm=scripted_llm()))
    await ctx.store.set("user_token", alice)
    with user_token(bob):
        assert _owner(whoami.call(ctx=ctx)) == "alice@example.com"


async def test_concurrent_calls_keep_their_identities(
    dev: DevGateway, gateway: Gateway, alice: str, bob: str, through: Through
) -> None:
    tools = await _mail_tools(gateway, dev, alice)
    whoami = tools["mail_whoami"]

    async def as_user(token: str) -> str:
        with user_token(token):
            return _owner(
                await through.call(
                    whoami,
                )
            )

    tokens = [alice, bob] * 10
    owners = await asyncio.gather(*(as_user(t) for t in tokens))
    expected = ["alice@example.com", "bob@example.com"] * 10
    assert owners == expected


def test_unknown_policy_is_refused(dev_server: DevGateway) -> None:
    gw = Gateway(dev_server.base_url)
    with pytest.raises(ConfigurationError):
        GatewayToolSpec(gw, ["mail"], on_authorization_required="ignore")  # type: ignore[arg-type]
