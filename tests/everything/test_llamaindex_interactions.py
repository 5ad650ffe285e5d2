"""The reference server's elicitation, progress and log tools through ``GatewayToolSpec``.

Every run is a real ``FunctionAgent``: a waiting tool's event is answered from the
event stream, the way an application's UI does it.
"""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.tools import ToolOutput
from llama_index.core.workflow import Event

from mcp_gateway_tools import Answer, Gateway, UserActionRequest
from mcp_gateway_tools.llamaindex import (
    AuthorizationCompletedEvent,
    AuthorizationRequiredEvent,
    GatewayToolSpec,
    InputAnswerEvent,
    InputRequiredEvent,
    ProgressEvent,
    ServerLogEvent,
)
from mcp_gateway_tools.llamaindex.testing import scripted_llm
from tests.everything.cases import CALLS
from tests.everything.conftest import SERVER

pytestmark = pytest.mark.everything

FORM = "trigger-elicitation-request"
URL = "trigger-url-elicitation"
ADA = {"name": "Ada Lovelace", "check": True, "email": "ada@example.com"}


async def run(
    everything_gateway: Gateway, tool: str, *, answer: Any = None, **policies: Any
) -> tuple[ToolOutput, list[Event]]:
    """One agent run calling ``tool``; ``answer(event)`` may send an answer event back."""
    tools = await GatewayToolSpec(everything_gateway, [SERVER], **policies).to_tool_list_async()
    handler = FunctionAgent(tools=tools, llm=scripted_llm([(tool, CALLS[tool])])).run("go")
    events: list[Event] = []
    async for event in handler.stream_events():
        events.append(event)
        reply = answer(event) if answer is not None else None
        if reply is not None:
            handler.ctx.send_event(reply)
    await handler
    (result,) = [e for e in events if isinstance(e, ToolCallResult)]
    return result.tool_output, events


@pytest.mark.parametrize("policy", ["observation", "decline"])
async def test_unanswered_form_tells_the_model_and_declines_to_the_server(
    everything_gateway: Gateway, policy: str
) -> None:
    output, events = await run(everything_gateway, FORM, on_input_required=policy)
    assert 'The server asked the user: "Please provide inputs' in output.content
    assert "User declined to provide the requested information" in output.content
    assert [e for e in events if isinstance(e, InputRequiredEvent) and e.waiting] == []


async def test_waiting_form_is_answered_from_the_event_stream(everything_gateway: Gateway) -> None:
    def answer(event: Event) -> Event | None:
        if isinstance(event, InputRequiredEvent) and event.waiting:
            assert event.defaults["integer"] == 42
            return InputAnswerEvent(request_id=event.request_id, action="accept", content=ADA)
        return None

    output, _ = await run(everything_gateway, FORM, answer=answer, on_input_required="wait")
    assert "Name: Ada Lovelace" in output.content
    assert "Favorite Integer: 42" in output.content


async def test_form_answered_by_the_apps_callback(everything_gateway: Gateway) -> None:
    asked: list[UserActionRequest] = []

    def answer(request: UserActionRequest) -> Answer:
        asked.append(request)
        return Answer.accept(ADA)

    output, _ = await run(everything_gateway, FORM, on_input_required=answer)
    assert [r.kind for r in asked] == ["input"]
    assert "Name: Ada Lovelace" in output.content


async def test_url_elicitation_waits_then_completes_the_same_call(
    everything_gateway: Gateway,
) -> None:
    seen: list[AuthorizationRequiredEvent] = []

    def done(event: Event) -> Event | None:
        if isinstance(event, AuthorizationRequiredEvent) and event.waiting:
            seen.append(event)
            return AuthorizationCompletedEvent(request_id=event.request_id)
        return None

    output, _ = await run(everything_gateway, URL, answer=done, on_authorization_required="wait")
    (event,) = seen
    assert event.url_elicitation
    assert list(event.authorization_urls.values()) == ["https://example.com/finish"]
    assert "User completed the URL elicitation flow" in output.content


async def test_progress_and_server_logs_are_stream_events(everything_gateway: Gateway) -> None:
    _, events = await run(everything_gateway, "trigger-long-running-operation")
    progress = [e for e in events if isinstance(e, ProgressEvent)]
    assert [(p.progress, p.total) for p in progress] == [(1.0, 3.0), (2.0, 3.0), (3.0, 3.0)]
    _, events = await run(everything_gateway, "toggle-simulated-logging")
    logs = [e for e in events if isinstance(e, ServerLogEvent)]
    assert logs
    assert logs[0].server == SERVER
