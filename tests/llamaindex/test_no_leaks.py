"""A token appears nowhere but the Authorization header (DESIGN §5), LlamaIndex side."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.workflow import Context

from mcp_gateway_tools import Gateway, GatewayError, user_token
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.llamaindex import (
    AuthorizationCompletedEvent,
    AuthorizationPolicy,
    AuthorizationRequiredEvent,
    GatewayToolSpec,
)
from mcp_gateway_tools.llamaindex.testing import scripted_llm
from tests.llamaindex.agents import Recorder


def _texts(thing: Any) -> list[str]:
    texts = [repr(thing), str(thing)]
    dump = getattr(thing, "model_dump_json", None)
    if callable(dump):
        try:
            texts.append(dump())
        except Exception as exc:  # not every event field serialises; say what it holds
            texts.append(repr(exc))
    return texts


@pytest.mark.parametrize("policy", ["observation", "raise", "wait"])
async def test_no_token_in_outputs_events_callbacks_or_logs(
    policy: AuthorizationPolicy,
    dev: DevGateway,
    gateway: Gateway,
    alice: str,
    all_tokens: list[str],
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    produced: list[Any] = [gateway]
    servers = ["workspace", "mail", "knowledge", "nosuch"]
    if policy == "raise":
        servers.remove("mail")  # would raise at load: no authorize_mail tool then
    spec = GatewayToolSpec(
        gateway, servers, on_authorization_required=policy, callback=produced.append
    )
    produced.append(spec)
    tools = await spec.to_tool_list_async(token=alice)
    produced.extend(tools)
    for tool in tools:
        produced.extend([tool.metadata, tool.metadata.fn_schema_str])
    rec = Recorder()
    agent = FunctionAgent(
        tools=tools,
        llm=scripted_llm(
            [
                ("list_messages", {"limit": 1}),
                ("get_diagram", {"article_id": "kb-1"}),
                ("get_article", {"article_id": "missing"}),
                ("authorize_mail", {}),
            ],
            on_request=rec,
        ),
    )
    ctx = Context(agent)
    await ctx.store.set("user_token", alice)
    handler = agent.run("everything", ctx=ctx)
    async for ev in handler.stream_events():
        produced.append(ev)
        if isinstance(ev, AuthorizationRequiredEvent) and ev.waiting:
            await dev.aconsent("alice", "mail")
            assert handler.ctx is not None
            handler.ctx.send_event(AuthorizationCompletedEvent(request_id=ev.request_id))
    produced.append(await handler)
    produced.extend(m for msgs in rec.requests for m in msgs)
    memory = await ctx.store.get("memory")
    produced.extend(await memory.aget_all())
    # Direct calls, including the failures.
    with user_token(alice):
        for tool in tools:
            try:
                produced.append(await tool.acall())
            except GatewayError as exc:
                produced.extend([exc, exc.to_observation()])

    texts = [t for p in produced for t in _texts(p)]
    texts += [r.getMessage() for r in debug_logs.records]
    texts += [str(r.args) for r in debug_logs.records]
    assert any(isinstance(p, AuthorizationRequiredEvent) for p in produced)
    assert debug_logs.records  # logging was on, at DEBUG
    for token in all_tokens:
        leaks = [t for t in texts if token in t]
        assert not leaks, f"a token leaked: {leaks[0][:200]}"
