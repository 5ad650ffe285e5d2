"""The fault corpus: every way a gateway can fail yields a typed error or an
observation, within a bounded time, through the core and inside LangChain and
LlamaIndex agent runs, and leaves no bad state behind (the next good call succeeds).

Server ``<fault>`` fails while connecting, ``<fault>.call`` only on ``tools/call`` (see
``faultapp``). Expected outcomes: a :class:`GatewayError` subclass name, ``"auth"``
(an AuthorizationRequired observation) or ``"ok"``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from mcp_gateway_tools import (
    AuthorizationRequired,
    Gateway,
    GatewayError,
    RateLimited,
    ToolInfo,
    ToolSpec,
)
from mcp_gateway_tools.langchain import GatewayTool as LangChainTool
from mcp_gateway_tools.llamaindex import GatewayTool as LlamaIndexTool
from tests.reliability.agents import (
    RunContext,
    langchain_agent,
    llamaindex_agent,
    request,
    run_llamaindex,
    tool_messages,
)
from tests.support.faultgateway import FaultGateway
from tests.support.serving import ThreadedServer, free_port
from tests.support.timing import scaled

TOKEN = "fault-corpus-user-token-0001"
# Bounds, not targets: a busy 2-core machine answers a plain 401 in over a second.
CONNECT_TIMEOUT, CALL_TIMEOUT = scaled(5.0), scaled(5.0)
BOUND = CONNECT_TIMEOUT + CALL_TIMEOUT + scaled(10.0)  # any one path, any fault
ARGS = {"a": 2, "b": 3}

# (server, expected outcome)
CASES: list[tuple[str, str]] = [
    # 401 bodies that are not a usable consent request
    ("html401", "InvalidToken"),
    ("html401.call", "InvalidToken"),
    ("text401", "InvalidToken"),
    ("truncated401", "InvalidToken"),
    ("truncated401.call", "InvalidToken"),
    ("huge401", "InvalidToken"),
    ("hugehtml401.call", "InvalidToken"),
    ("list401", "InvalidToken"),
    ("null401.call", "InvalidToken"),
    ("errorstring401", "InvalidToken"),
    ("invalidtoken401.call", "InvalidToken"),
    # McpAuthRequiredError with broken links or names
    ("urlslist401", "ProtocolError"),
    ("urlsint401", "InvalidAuthorizationUrl"),
    ("nourls401", "ProtocolError"),
    ("emptyurls401.call", "ProtocolError"),
    ("javascript401", "InvalidAuthorizationUrl"),
    ("javascript401.call", "InvalidAuthorizationUrl"),
    ("data401", "InvalidAuthorizationUrl"),
    ("relative401", "InvalidAuthorizationUrl"),
    ("schemeless401.call", "InvalidAuthorizationUrl"),
    ("newline401", "InvalidAuthorizationUrl"),
    ("brackets401", "InvalidAuthorizationUrl"),
    ("unicode401", "auth"),
    ("namesint401.call", "auth"),
    ("consent401.call", "auth"),
    # HTTP statuses
    ("403", "AccessDenied"),
    ("403.call", "AccessDenied"),
    ("404", "UnknownServer"),
    ("404.call", "CallOutcomeUnknown"),
    ("429", "RateLimited"),
    ("429date.call", "RateLimited"),
    ("429junk", "RateLimited"),
    ("500", "GatewayUnavailable"),
    ("500.call", "GatewayUnavailable"),
    ("502", "GatewayUnavailable"),
    ("503.call", "GatewayUnavailable"),
    ("504", "GatewayTimeout"),
    ("504.call", "GatewayTimeout"),
    ("418", "ProtocolError"),
    # broken transport and bodies
    ("notjson200.call", "ProtocolError"),
    ("garbage200.call", "ProtocolError"),
    ("reset", "GatewayUnavailable"),
    ("reset.call", "CallOutcomeUnknown"),
    ("hang", "GatewayTimeout"),
    ("hang.call", "GatewayTimeout"),
    ("drip.call", "GatewayTimeout"),
    ("dripok.call", "ok"),
    # -32042 URL elicitation
    ("elicit0.call", "ProtocolError"),
    ("elicit3.call", "auth"),
    ("elicitbad.call", "InvalidAuthorizationUrl"),
]


@dataclass
class Outcome:
    kind: str
    detail: Any = None
    seconds: float = 0.0


def spec(server: str, name: str) -> ToolSpec:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    }
    info = ToolInfo(server, "add", "Add two integers.", schema)
    return ToolSpec(server, "add", name, info.description, schema, info)


@pytest.fixture
async def bounded_gateway(fault_server: ThreadedServer) -> AsyncIterator[Gateway]:
    """A Gateway to the fault gateway with this module's connect and call bounds."""
    async with Gateway(
        fault_server.url, connect_timeout=CONNECT_TIMEOUT, call_timeout=CALL_TIMEOUT
    ) as gw:
        yield gw


async def via_core(gw: Gateway, server: str, token: str = TOKEN) -> Outcome:
    try:
        result = await gw.call_tool(server, "add", ARGS, token=token)
    except AuthorizationRequired as exc:
        return Outcome("auth", exc)
    except GatewayError as exc:
        return Outcome(type(exc).__name__, exc)
    return Outcome("ok", result)


async def via_langchain_agent(gw: Gateway, server: str, token: str = TOKEN) -> Outcome:
    tools = [LangChainTool.from_spec(gw, spec(server, "fault_add"))]
    tools.append(LangChainTool.from_spec(gw, spec("echo", "echo_add")))
    agent = langchain_agent(tools)
    state = await agent.ainvoke(
        {"messages": [HumanMessage(request("fault_add", "-", a=2, b=3))]},
        context=RunContext(token),
    )
    (message,) = tool_messages(state)
    artifact = message.artifact or {}
    if artifact.get("type") == "authorization_required":
        return Outcome("auth", message)
    if message.status == "error":
        return Outcome("error", message)
    return Outcome("ok", message)


async def via_llamaindex_agent(gw: Gateway, server: str, token: str = TOKEN) -> Outcome:
    agent = llamaindex_agent([LlamaIndexTool(gw, spec(server, "fault_add"))])
    outputs, _ = await run_llamaindex(agent, request("fault_add", "-", a=2, b=3), token)
    (output,) = outputs
    raw = output.raw_output
    if isinstance(raw, dict) and raw.get("type") == "authorization_required":
        return Outcome("auth", output)
    if isinstance(raw, dict) and raw.get("type") == "error":
        return Outcome(raw["error"], output)
    return Outcome("ok", output)


async def timed(path: Any, gw: Gateway, server: str) -> Outcome:
    """One path, as its own user (its own session: paths run at once never share one)."""
    started = time.monotonic()
    outcome = await path(gw, server, f"{TOKEN}-{path.__name__}")
    outcome.seconds = time.monotonic() - started
    return outcome


async def good_call_succeeds(gw: Gateway) -> None:
    # A generous bound of its own: this checks state, not speed, right after a fault.
    result = await gw.call_tool("echo", "add", ARGS, token=TOKEN, timeout=scaled(30))
    assert result.structured_content == {"total": 5}


def _ints(text: str) -> str:
    return text.replace("2", "").replace("3", "")


@pytest.mark.timeout(scaled(120))
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(("server", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_fault_gives_a_typed_outcome_in_bounded_time_and_no_bad_state(
    bounded_gateway: Gateway, server: str, expected: str
) -> None:
    # The three paths meet the fault at once, each as its own user with its own session
    # (a hang costs one timeout, not three); each is timed and bounded on its own.
    core, lc, li = await asyncio.gather(
        timed(via_core, bounded_gateway, server),
        timed(via_langchain_agent, bounded_gateway, server),
        timed(via_llamaindex_agent, bounded_gateway, server),
    )
    assert core.kind == expected, repr(core.detail)
    assert core.seconds < BOUND
    assert lc.seconds < BOUND
    if expected in ("ok", "auth"):
        assert lc.kind == expected
    else:  # the model sees the core's message, with status="error"
        assert lc.kind == "error"
        assert lc.detail.text == core.detail.message or expected == "RateLimited"
    assert li.kind == expected
    assert li.seconds < BOUND
    await good_call_succeeds(bounded_gateway)

    if expected == "auth":
        error = core.detail
        assert all(url.startswith("https://") for url in error.authorization_urls.values())
        text = error.render_text()
        for key, url in error.authorization_urls.items():
            assert url in text
            assert error.server_names[key] in text
    if server == "unicode401":
        # bidi controls are stripped from display names (issue 12 item 6)
        assert set(core.detail.server_names.values()) == {"Почта 📧", "بريد evil"}
    if server == "elicit3.call":
        assert len(core.detail.authorization_urls) == 3
    if server.startswith("429"):
        assert isinstance(core.detail, RateLimited)
        expected_after = {"429": 7.0, "429junk": None}.get(server, "about 30")
        if expected_after == "about 30":
            assert 20 < core.detail.retry_after <= 31
        else:
            assert core.detail.retry_after == expected_after


@pytest.mark.timeout(scaled(60))
async def test_expired_legacy_session_is_replaced_and_the_call_answered(
    fault_server: ThreadedServer,
) -> None:
    async with Gateway(fault_server.url, protocol_mode="legacy", connect_timeout=scaled(5)) as gw:
        for _ in range(3):  # each session dies after its first call, server-side
            result = await gw.call_tool("expiring", "add", ARGS, token=TOKEN)
            assert result.structured_content == {"total": 5}
        assert gw.sessions_opened() == 3


@pytest.mark.timeout(scaled(60))
async def test_connection_refused_is_unavailable_then_the_gateway_comes_back() -> None:
    port = free_port()
    server = ThreadedServer(FaultGateway(), port)
    async with Gateway(server.url, connect_timeout=CONNECT_TIMEOUT) as gw:
        started = time.monotonic()
        outcome = await via_core(gw, "echo")
        assert outcome.kind == "GatewayUnavailable"
        lc = await via_langchain_agent(gw, "echo")
        assert lc.kind == "error"
        assert time.monotonic() - started < BOUND
        server.start()
        try:
            await good_call_succeeds(gw)
        finally:
            server.stop()


@pytest.mark.timeout(scaled(60))
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_gateway_restart_between_calls_is_invisible_to_the_agent(mode: str) -> None:
    port = free_port()
    server = ThreadedServer(FaultGateway(), port)
    server.start()
    try:
        async with Gateway(server.url, protocol_mode=mode, connect_timeout=scaled(5)) as gw:
            assert (await via_langchain_agent(gw, "echo")).kind == "ok"
            server.restart(FaultGateway())
            outcome = await via_langchain_agent(gw, "echo")
            assert outcome.kind == "ok", outcome.detail
            await good_call_succeeds(gw)
    finally:
        server.stop()


def test_the_corpus_has_at_least_thirty_distinct_faults() -> None:
    assert len(CASES) + 4 >= 30
    assert len({server for server, _ in CASES}) == len(CASES)
