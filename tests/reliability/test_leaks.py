"""A token appears nowhere but the Authorization header, in any scenario (DESIGN §5).

Every scenario of the fault gateway (success, tool error, invalid arguments, consent at
connect and mid-session, -32042, 401/403/404/429/5xx, bad link, hang) runs through
the core, a LangChain agent and a LlamaIndex agent with DEBUG logging on, a callback
handler recording every LangChain callback, ``astream_events``, the LlamaIndex event
stream and an instrumentation handler on the root dispatcher. Then ``repr``/``str`` of
everything produced (results, messages, outputs, events, exceptions and their chains,
tools, toolkits, gateways, checkpoints) is searched for the tokens, their base64 and
their plain hashes.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import HumanMessage
from pydantic import SecretStr

from mcp_gateway_tools import Gateway, GatewayError, ToolInfo, ToolSpec, user_token
from mcp_gateway_tools.langchain import GatewayTool as LangChainTool
from mcp_gateway_tools.langchain import GatewayToolkit
from mcp_gateway_tools.llamaindex import GatewayTool as LlamaIndexTool
from mcp_gateway_tools.llamaindex import GatewayToolSpec
from tests.reliability.agents import RunContext, langchain_agent, llamaindex_agent, request
from tests.reliability.leaks import Haystack, forbidden_forms
from tests.support.serving import ThreadedServer
from tests.support.timing import scaled

USER = "sk-user-" + secrets.token_hex(16)
SERVICE = "svc-account-" + secrets.token_hex(16)

ADD = {
    "type": "object",
    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
    "required": ["a", "b"],
}
OPEN: dict[str, Any] = {"type": "object", "properties": {}}

# (server on the fault gateway, MCP tool, arguments): one per way a call can end.
SCENARIOS = [
    ("echo", "add", {"a": 1, "b": 2}),  # a result
    ("echo", "fail", {"reason": "nope"}),  # the tool's isError
    ("echo", "add", {"a": "one", "b": 2}),  # invalid arguments, nothing sent
    ("consent", "add", {"a": 1, "b": 2}),  # consent 401 at connect
    ("midsession", "private_tool", {}),  # consent 401 on tools/call
    ("elicit", "needs_2", {}),  # -32042 with two URL elicitations
    ("403", "add", {"a": 1, "b": 2}),
    ("429", "add", {"a": 1, "b": 2}),
    ("500", "add", {"a": 1, "b": 2}),
    ("503", "add", {"a": 1, "b": 2}),
    ("502", "add", {"a": 1, "b": 2}),
    ("text401", "add", {"a": 1, "b": 2}),
    ("invalidtoken401", "add", {"a": 1, "b": 2}),
    ("javascript401", "add", {"a": 1, "b": 2}),
    ("nosuch", "add", {"a": 1, "b": 2}),
    ("hang", "add", {"a": 1, "b": 2}),  # past the connect timeout
]


def spec(server: str, tool: str) -> ToolSpec:
    schema = ADD if tool == "add" else OPEN
    info = ToolInfo(server, tool, f"{tool} on {server}", schema)
    return ToolSpec(server, tool, f"{server}_{tool}", info.description, schema, info)


def specs() -> list[ToolSpec]:
    return [spec(s, t) for s, t in dict.fromkeys((s, t) for s, t, _ in SCENARIOS)]


class RecordEverything(BaseCallbackHandler):
    """Every LangChain callback with all its arguments (each ``on_*`` method of the
    handler interface is overridden below, since the base class defines them all)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []


def _recording(name: str) -> Any:
    def record(self: RecordEverything, *args: Any, **kwargs: Any) -> None:
        self.calls.append((name, args, kwargs))

    return record


for _name in dir(BaseCallbackHandler):
    if _name.startswith("on_"):
        setattr(RecordEverything, _name, _recording(_name))


@pytest.fixture
def instrumentation() -> Iterator[list[Any]]:
    """LlamaIndex instrumentation: every event and span of the root dispatcher."""
    from llama_index.core.instrumentation import get_dispatcher
    from llama_index.core.instrumentation.event_handlers import BaseEventHandler
    from llama_index.core.instrumentation.span_handlers import SimpleSpanHandler

    seen: list[Any] = []

    class Everything(BaseEventHandler):
        @classmethod
        def class_name(cls) -> str:
            return "Everything"

        def handle(self, event: Any, **kwargs: Any) -> None:
            seen.append(event)

    dispatcher = get_dispatcher()
    handler, spans = Everything(), SimpleSpanHandler()
    dispatcher.add_event_handler(handler)
    dispatcher.add_span_handler(spans)
    try:
        yield seen
    finally:
        dispatcher.event_handlers.remove(handler)
        dispatcher.span_handlers.remove(spans)
        seen.extend(spans.completed_spans + spans.dropped_spans)


def assert_no_token(haystack: Haystack) -> None:
    hits = haystack.find([USER, SERVICE])
    assert hits == [], f"{len(hits)} leak(s), first: {hits[:3]}"


def test_forbidden_forms_catch_the_token_its_base64_and_plain_hashes() -> None:
    import base64
    import hashlib

    haystack = Haystack()
    haystack.add_text("clean text", "fingerprint only")
    assert haystack.find([USER]) == []
    for text in (
        f"Bearer {USER}",
        base64.b64encode(f"user:{USER}".encode()).decode(),
        base64.urlsafe_b64encode(f"{{'t': '{USER}'}}".encode()).decode(),
        hashlib.sha256(USER.encode()).hexdigest(),
    ):
        leaky = Haystack()
        leaky.add_text(text)
        assert leaky.find([USER]), text
    assert len(forbidden_forms(USER)) >= 7  # the token, 3 base64 alignments, 3 hashes


@pytest.mark.timeout(scaled(400))  # minutes on a busy machine: many paths, big haystack
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_no_token_anywhere_in_any_scenario_through_core_langchain_and_llamaindex(
    fault_server: ThreadedServer,
    caplog: pytest.LogCaptureFixture,
    instrumentation: list[Any],
) -> None:
    caplog.set_level(logging.DEBUG)
    haystack = Haystack()
    recorder = RecordEverything()
    async with Gateway(
        fault_server.url, token=SERVICE, connect_timeout=scaled(3), call_timeout=scaled(3)
    ) as gw:
        lc_tools = [LangChainTool.from_spec(gw, s) for s in specs()]
        li_tools = [LlamaIndexTool(gw, s) for s in specs()]
        lc_agent, li_agent = langchain_agent(lc_tools), llamaindex_agent(li_tools)
        haystack.add(gw, gw.credential(USER), gw.credential(), lc_tools, li_tools)
        from llama_index.core.workflow import Context

        async def core(server: str, tool: str, args: dict[str, Any], bound: bool) -> None:
            """The core, with the user's token explicit or bound."""
            try:
                if bound:
                    with user_token(USER):
                        haystack.add(await gw.call_tool(server, tool, args))
                else:
                    haystack.add(await gw.call_tool(server, tool, args, token=USER))
            except GatewayError as exc:
                haystack.add(exc)

        async def langchain(text: str, config: dict[str, Any], context: Any) -> None:
            """astream_events plus a recording callback handler."""
            async for event in lc_agent.astream_events(
                {"messages": [HumanMessage(text)]}, config, context=context, version="v2"
            ):
                haystack.add(event)

        async def llamaindex(text: str) -> None:
            """The token in the workflow Context store."""
            ctx = Context(li_agent)
            await ctx.store.set("user_token", USER)
            handler = li_agent.run(user_msg=text, ctx=ctx)
            haystack.add(*[event async for event in handler.stream_events()])
            haystack.add(await handler)

        async def direct(args: dict[str, Any]) -> None:
            """A tool called directly."""
            haystack.add(await lc_tools[0].ainvoke(args, {"configurable": {"user_token": USER}}))

        for server, tool, args in SCENARIOS:
            text = request(f"{server}_{tool}", None, **args)
            secret = {"callbacks": [recorder], "configurable": {"user_token": SecretStr(USER)}}
            # Every path at once (a hang costs one connect timeout, not six); LangChain
            # gets the token in the run context, then as a SecretStr in configurable.
            await asyncio.gather(
                core(server, tool, args, bound=False),
                core(server, tool, args, bound=True),
                langchain(text, {"callbacks": [recorder]}, RunContext(USER)),
                langchain(text, secret, None),
                llamaindex(text),
                direct(args),
            )
    haystack.add(recorder.calls, instrumentation)
    haystack.add_logs(caplog.records, caplog.text)
    assert len(caplog.records) > 0
    assert len(recorder.calls) > 100
    assert len(instrumentation) > 50
    assert_no_token(haystack)


@pytest.mark.timeout(scaled(120))
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_no_token_in_loading_placeholders_raise_policies_or_checkpoints(
    fault_server: ThreadedServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Load-time consent placeholders, the raise and interrupt policies, the
    LangGraph checkpointer's saved state, and the toolkits' own reprs."""
    from langchain.agents import create_agent
    from langgraph.checkpoint.memory import InMemorySaver

    from tests.reliability.agents import scripted_model

    caplog.set_level(logging.DEBUG)
    haystack = Haystack()
    async with Gateway(fault_server.url, connect_timeout=scaled(3)) as gw:
        toolkit = GatewayToolkit(gw, ["echo", "consent", "403"])
        lc = await toolkit.aget_tools(token=USER)
        spec_ = GatewayToolSpec(gw, ["echo", "consent"])
        li = await spec_.to_tool_list_async(token=USER)
        haystack.add(toolkit, lc, spec_, li, [t.metadata for t in li])
        from langchain_core.utils.function_calling import convert_to_openai_tool

        haystack.add(
            [convert_to_openai_tool(t) for t in lc], [t.metadata.to_openai_tool() for t in li]
        )
        # "raise": AuthorizationRequired escapes the tool and the agent
        for policy_tools in (
            await GatewayToolkit(gw, ["consent"], on_authorization_required="raise").aget_tools(
                token=USER
            ),
        ):
            try:
                await policy_tools[0].ainvoke({}, {"configurable": {"user_token": USER}})
            except GatewayError as exc:
                haystack.add(exc)
        # "interrupt": the payload is saved by the checkpointer with the run's state
        saver = InMemorySaver()
        mid = await GatewayToolkit(
            gw, ["midsession"], on_authorization_required="interrupt"
        ).aget_tools(token=USER)
        agent = create_agent(
            scripted_model(),
            mid,
            context_schema=RunContext,
            checkpointer=saver,
        )
        config = {"configurable": {"thread_id": "t1"}}
        state = await agent.ainvoke(
            {"messages": [HumanMessage(request("private_tool", None))]},
            config,
            context=RunContext(USER),
        )
        # The token as a SecretStr in configurable: LangGraph copies plain-str configurable
        # values into checkpoint metadata (docs/reliability.md), a SecretStr it skips.
        secret_config = {"configurable": {"thread_id": "t2", "user_token": SecretStr(USER)}}
        second = await agent.ainvoke(
            {"messages": [HumanMessage(request("private_tool", None))]}, secret_config
        )
        haystack.add(state, second, list(saver.list(None)), dict(saver.storage))
        haystack.add(dict(saver.writes), dict(saver.blobs))
    haystack.add_logs(caplog.records, caplog.text)
    assert "__interrupt__" in state
    assert "__interrupt__" in second
    assert_no_token(haystack)


@pytest.mark.timeout(scaled(180))
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_no_token_leaks_through_the_dev_gateway_consent_flow(
    caplog: pytest.LogCaptureFixture, instrumentation: list[Any]
) -> None:
    """The dev gateway's real flow: a personal access token and an IdP JWT, consent
    required then granted, a virtual server; the downstream credentials the gateway
    injects (shared API keys) must not reach the client side either."""
    from llama_index.core.workflow import Context

    from mcp_gateway_tools.devgateway import DevGateway

    caplog.set_level(logging.DEBUG)
    haystack = Haystack()
    recorder = RecordEverything()
    with DevGateway() as dev:
        pat, jwt = dev.tokens.user("alice"), dev.issue_jwt("alice")
        secrets_ = [pat, jwt, dev.tokens.service, "dev-kb-shared-credential", "dev-search-api-key"]
        async with Gateway(dev.base_url, token=dev.tokens.service) as gw:
            servers = ["knowledge", "search", "mail", "workspace"]
            lc = await GatewayToolkit(gw, servers).aget_tools(token=pat)
            li = await GatewayToolSpec(gw, servers).to_tool_list_async(token=pat)
            lc_agent, li_agent = langchain_agent(lc), llamaindex_agent(li)
            haystack.add(lc, li)
            assert "authorize_mail" in {t.name for t in lc}
            answered = 0
            for phase in ("before consent", "after consent"):
                if phase == "after consent":
                    await dev.aconsent("alice", "mail")
                for token in (pat, jwt):
                    for tool, args in (
                        ("authorize_mail", {}),
                        ("mail_whoami", {}),  # through the workspace virtual server
                        ("list_messages", {}),
                        ("knowledge_search_docs", {"query": "vpn"}),
                        ("search_whoami", {}),
                    ):
                        text = request(tool, None, **args)
                        async for event in lc_agent.astream_events(
                            {"messages": [HumanMessage(text)]},
                            {"callbacks": [recorder]},
                            context=RunContext(token),
                            version="v2",
                        ):
                            haystack.add(event)
                        ctx = Context(li_agent)
                        await ctx.store.set("user_token", token)
                        handler = li_agent.run(user_msg=text, ctx=ctx)
                        haystack.add(*[event async for event in handler.stream_events()])
                        haystack.add(await handler)
                    try:
                        result = await gw.call_tool("mail", "mail_whoami", token=token)
                    except GatewayError as exc:
                        haystack.add(exc)
                    else:
                        haystack.add(result)
                        assert result.structured_content["user"] == "alice@example.com"
                        answered += 1
            haystack.add(dev, dev.tokens, dev.grants())
            assert answered == 2  # after consent, with the PAT and with the JWT
    haystack.add(recorder.calls, instrumentation)
    haystack.add_logs(caplog.records, caplog.text)
    hits = haystack.find(secrets_)
    assert hits == [], f"{len(hits)} leak(s), first: {hits[:3]}"
    assert any(
        isinstance(o, dict) and o.get("event") == "on_custom_event" for o in haystack.objects
    )  # the consent event really was produced
