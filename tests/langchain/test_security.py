"""No token anywhere but the Authorization header (DESIGN §5).

Every binding path, a success, a consent observation, a denial and a missing token are
run through real agents while a callback handler records every callback with all its
arguments, ``astream_events`` is collected, and logs are captured at DEBUG. The
tokens must appear in none of it, nor in messages, artifacts, reprs or exceptions.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tracers.langchain import LangChainTracer
from pydantic import SecretStr

from mcp_gateway_tools import Gateway, MissingUserToken, user_token
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.langchain import GatewayToolkit
from mcp_gateway_tools.langchain.testing import tool_call
from tests.langchain.conftest import Context, Recorder, ask, build_agent, scripted


async def test_no_token_leaks_anywhere(
    dev: DevGateway, gateway: Gateway, debug_logs: pytest.LogCaptureFixture
) -> None:
    alice, bob, service = dev.tokens.user("alice"), dev.tokens.user("bob"), dev.tokens.service
    await dev.aconsent("alice", "mail")
    recorder = Recorder()
    seen: list[Any] = []
    toolkit = GatewayToolkit(
        gateway, ["mail", "calendar", "workspace"], authorization_callback=seen.append
    )
    tools = await toolkit.aget_tools(token=alice)
    assert "authorize_calendar" in {t.name for t in tools}
    plan: tuple[tuple[str, dict[str, Any]], ...] = (
        ("mail_list_messages", {}),  # success for alice; observation for bob
        ("workspace_list_messages", {}),
        ("authorize_calendar", {}),  # load-time placeholder: observation
        ("search_docs", {"query": 7}),  # invalid arguments
    )
    outputs: list[Any] = []
    for kind in ("create_agent", "toolnode"):
        agent = build_agent(kind, scripted(*plan, streaming=False), tools)
        cfg: Any = {"callbacks": [recorder]}
        outputs.append(await agent.ainvoke(ask(), cfg, context=Context(user_token=alice)))
        outputs.append(await agent.ainvoke(ask(), {**cfg, "configurable": {"user_token": bob}}))
        with user_token(bob):
            outputs.extend([e async for e in agent.astream_events(ask(), cfg, version="v2")])
            outputs.extend(
                [c async for c in agent.astream(ask(), cfg, stream_mode=["custom", "updates"])]
            )

    async with Gateway(dev.base_url, token=service) as service_gateway:
        service_tools = await GatewayToolkit(service_gateway, ["workspace"]).aget_tools()
        agent = build_agent("create_agent", scripted(("list_messages", {})), service_tools)
        outputs.append(await agent.ainvoke(ask(), {"callbacks": [recorder]}))
        outputs.append(repr(service_tools))

    with pytest.raises(MissingUserToken) as missing:
        await tools[0].ainvoke(tool_call(tools[0].name, {}), {"callbacks": [recorder]})
    outputs.extend([repr(missing.value), str(missing.value)])
    outputs.extend([repr(tools), repr(toolkit), repr(gateway)])

    messages = [m for o in outputs if isinstance(o, dict) for m in o.get("messages", [])]
    tool_results = [m for m in messages if isinstance(m, ToolMessage)]
    statuses = {m.status for m in tool_results}
    assert statuses == {"success", "error"}
    assert any(
        isinstance(m.artifact, dict) and m.artifact.get("type") == "authorization_required"
        for m in tool_results
    )
    assert recorder.custom
    hooks = {name for name, _, _ in recorder.calls}
    assert {"on_chain_start", "on_tool_start", "on_tool_end", "on_chat_model_start"} <= hooks
    assert {"on_tool_error", "on_custom_event"} <= hooks
    assert seen

    haystack = "\n".join(
        [
            repr(outputs),
            repr(recorder.calls),
            repr(seen),
            debug_logs.text,
            repr([(r.msg, r.args) for r in debug_logs.records]),
            repr([(m.content, m.artifact) for m in tool_results]),
        ]
    )
    assert len(debug_logs.records) > 0
    for secret in (alice, bob, service):
        assert secret not in haystack


class CapturingTracer(LangChainTracer):
    """A LangSmith tracer that sends nothing and keeps every run it would have sent,
    with the tracer-only metadata LangChain attaches from ``configurable``."""

    def __init__(self, sink: list[str] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("client", _NoClient())
        super().__init__(**kwargs)
        self.sink: list[str] = sink if sink is not None else []

    def copy_with_metadata_defaults(self, **kwargs: Any) -> CapturingTracer:
        copy = super().copy_with_metadata_defaults(**kwargs)
        assert isinstance(copy, CapturingTracer)
        copy.sink = self.sink
        return copy

    def _persist_run(self, run: Any) -> None:
        pass

    def _end_trace(self, run: Any) -> None:
        self.sink.append(repr(run) + repr(self.tracing_metadata))
        super()._end_trace(run)


class _NoClient:
    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


async def test_trace_payloads_hold_no_token(dev: DevGateway, gateway: Gateway) -> None:
    """The documented ways (run context, or a SecretStr in configurable) keep the token
    out of LangSmith runs and their metadata."""
    alice = dev.tokens.user("alice")
    await dev.aconsent("alice", "mail")
    tools = await GatewayToolkit(gateway, ["mail"]).aget_tools(token=alice)
    agent = build_agent("create_agent", scripted(("list_messages", {})), tools)
    traced: list[str] = []
    tracer = CapturingTracer(traced)
    by_context = await agent.ainvoke(ask(), {"callbacks": [tracer]}, context=Context(alice))
    by_configurable = await agent.ainvoke(
        ask(), {"callbacks": [tracer], "configurable": {"user_token": SecretStr(alice)}}
    )
    for state in (by_context, by_configurable):
        assert state["messages"][2].artifact["structured_content"]["owner"] == "alice@example.com"
    assert len(traced) > 4
    assert alice not in "\n".join(traced)
