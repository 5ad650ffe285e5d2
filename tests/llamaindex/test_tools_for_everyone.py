"""One spec, built with no user at all, serves every user right, per run (issue 14).

``GatewayToolSpec.as_retriever()`` is a real ``FunctionAgent``'s ``tool_retriever``: each
run step is offered the tools right for the Context's user, the placeholder only while
nobody could list the server, and the gateway deciding every call.
"""

from __future__ import annotations

import asyncio
from typing import Any

from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.workflow import Context

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.llamaindex import GatewayToolRetriever, GatewayToolSpec
from mcp_gateway_tools.llamaindex.testing import scripted_llm
from tests.llamaindex.agents import Recorder

KNOWLEDGE = {"get_article", "get_diagram", "kb_whoami", "search_docs"}
MAIL = {"list_messages", "mail_whoami", "read_message", "send_message"}


def offered(recorder: Recorder) -> set[str]:
    """The tool names of the model's first request."""
    return {getattr(t, "metadata", t).name for t in recorder.tools[0]}


async def run_as(agent: FunctionAgent, token: str) -> Any:
    """Run ``agent`` for the user holding ``token`` (the Context key "user_token")."""
    ctx = Context(agent)
    await ctx.store.set("user_token", token)
    handler = agent.run("go", ctx=ctx)
    results = [
        ev.tool_output async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)
    ]
    await handler
    return results


def agent_calling(spec: GatewayToolSpec, name: str, recorder: Recorder) -> FunctionAgent:
    return FunctionAgent(
        tool_retriever=spec.as_retriever(), llm=scripted_llm([(name, {})], on_request=recorder)
    )


async def test_a_spec_built_with_no_user_serves_bob_and_alice_right(
    dev: DevGateway, gateway: Gateway, alice: str, bob: str
) -> None:
    spec = GatewayToolSpec(gateway, ["knowledge", "mail"])  # nobody to list with yet
    assert isinstance(spec.as_retriever(), GatewayToolRetriever)

    recorder = Recorder()
    (out,) = await run_as(agent_calling(spec, "authorize_mail", recorder), bob)
    assert offered(recorder) == KNOWLEDGE | {"authorize_mail"}
    assert out.raw_output["type"] == "authorization_required"

    await dev.aconsent("alice", "mail")
    recorder = Recorder()
    (out,) = await run_as(agent_calling(spec, "mail_whoami", recorder), alice)
    assert offered(recorder) == KNOWLEDGE | MAIL
    assert out.raw_output["user"] == "alice@example.com"

    # Bob is offered the real tools (Alice listed them); his call asks for his consent.
    recorder = Recorder()
    (out,) = await run_as(agent_calling(spec, "mail_whoami", recorder), bob)
    assert offered(recorder) == KNOWLEDGE | MAIL
    assert out.raw_output["type"] == "authorization_required"

    await dev.aconsent("bob", "mail")
    (out,) = await run_as(agent_calling(spec, "mail_whoami", Recorder()), bob)
    assert out.raw_output["user"] == "bob@example.com"


async def test_two_users_at_once_each_get_their_own_answer(
    dev: DevGateway, gateway: Gateway, alice: str, bob: str
) -> None:
    await dev.aconsent("alice", "mail")
    await dev.aconsent("bob", "mail")
    agent = agent_calling(GatewayToolSpec(gateway, ["mail"]), "mail_whoami", Recorder())
    outs = await asyncio.gather(*(run_as(agent, t) for t in (alice, bob) * 3))
    assert [o[0].raw_output["user"] for o in outs] == ["alice@example.com", "bob@example.com"] * 3
