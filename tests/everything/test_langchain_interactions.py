"""The reference server's elicitation, progress and log tools through the LangChain toolkit.

Form elicitation under every ``on_input_required`` policy, URL elicitation paused and
resumed in a ``create_agent`` run with a checkpointer, progress as ``mcp_progress``
custom events, server log lines on the ``mcp_gateway_tools.server`` logger.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import BaseTool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from mcp_gateway_tools import Answer, Gateway, InputRequired, UserActionRequest
from mcp_gateway_tools.langchain import PROGRESS_EVENT, GatewayToolkit
from mcp_gateway_tools.langchain.testing import ScriptedChatModel, call_then_answer, tool_call
from tests.everything.cases import CALLS
from tests.everything.conftest import SERVER

pytestmark = pytest.mark.everything

FORM = "trigger-elicitation-request"
URL = "trigger-url-elicitation"
ADA = {"name": "Ada Lovelace", "check": True, "email": "ada@example.com"}


async def tools(everything_gateway: Gateway, **policies: Any) -> dict[str, BaseTool]:
    return {
        t.name: t
        for t in await GatewayToolkit(everything_gateway, [SERVER], **policies).aget_tools()
    }


async def invoke(tool: BaseTool, args: dict[str, Any]) -> ToolMessage:
    message = await tool.ainvoke(tool_call(tool.name, args))
    assert isinstance(message, ToolMessage)
    return message


@pytest.mark.parametrize("policy", ["auto", "observation", "decline"])
async def test_unanswered_form_tells_the_model_and_declines_to_the_server(
    everything_gateway: Gateway, policy: str
) -> None:
    message = await invoke((await tools(everything_gateway, on_input_required=policy))[FORM], {})
    assert message.status == "success"
    assert 'The server asked the user: "Please provide inputs' in message.text
    assert "User declined to provide the requested information" in message.text  # the server's
    (declined,) = message.artifact["declined_input"]
    assert declined["type"] == "input_required"
    assert declined["defaults"]["integer"] == 42


async def test_form_policy_raise_raises_input_required(everything_gateway: Gateway) -> None:
    with pytest.raises(InputRequired):
        await invoke((await tools(everything_gateway, on_input_required="raise"))[FORM], {})


async def test_form_answered_by_the_apps_callback(everything_gateway: Gateway) -> None:
    asked: list[UserActionRequest] = []

    def answer(request: UserActionRequest) -> Answer:
        asked.append(request)
        return Answer.accept(ADA)

    message = await invoke((await tools(everything_gateway, on_input_required=answer))[FORM], {})
    assert [r.kind for r in asked] == ["input"]
    assert "Name: Ada Lovelace" in message.text
    assert "Favorite Integer: 42" in message.text  # SEP-1034: the default the user left


async def run_paused(
    everything_gateway: Gateway, tool: str, resume: object
) -> tuple[Any, ToolMessage]:
    """Run an agent that calls ``tool``: its interrupt payload, then the resumed result."""
    toolset = await tools(
        everything_gateway, on_input_required="interrupt", on_authorization_required="interrupt"
    )
    model = ScriptedChatModel(plan=call_then_answer((tool, CALLS[tool])), disable_streaming=True)
    agent = create_agent(model, list(toolset.values()), checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": tool}}
    paused = await agent.ainvoke({"messages": [HumanMessage("go")]}, config)
    (interrupt,) = paused["__interrupt__"]
    done = await agent.ainvoke(Command(resume=resume), config)
    (message,) = [m for m in done["messages"] if isinstance(m, ToolMessage)]
    return interrupt.value, message


async def test_form_interrupt_has_langchain_mcp_shape_and_resume_reaches_the_server(
    everything_gateway: Gateway,
) -> None:
    payload, message = await run_paused(
        everything_gateway, FORM, {"action": "accept", "content": {**ADA, "integer": 7}}
    )
    assert payload["type"] == "mcp_elicitation"
    assert payload["tool_name"] == FORM
    (request,) = payload["requests"]
    assert request["mode"] == "form"
    assert "name" in request["requested_schema"]["properties"]
    assert "Name: Ada Lovelace" in message.text
    assert "Favorite Integer: 7" in message.text


async def test_url_elicitation_interrupt_then_done_completes_the_same_call(
    everything_gateway: Gateway,
) -> None:
    payload, message = await run_paused(everything_gateway, URL, True)
    assert payload["type"] == "authorization_required"
    assert payload["url_elicitation"] is True
    assert list(payload["authorization_urls"].values()) == ["https://example.com/finish"]
    assert "User completed the URL elicitation flow" in message.text


async def test_url_elicitation_unanswered_is_an_observation_with_the_link(
    everything_gateway: Gateway,
) -> None:
    message = await invoke((await tools(everything_gateway))[URL], CALLS[URL])
    assert message.artifact["type"] == "authorization_required"
    assert "https://example.com/finish" in message.text
    assert "service token" not in message.text


async def test_progress_is_a_custom_event_in_stream_mode_custom(
    everything_gateway: Gateway,
) -> None:
    toolset = await tools(everything_gateway)
    tool = "trigger-long-running-operation"
    model = ScriptedChatModel(plan=call_then_answer((tool, CALLS[tool])), disable_streaming=True)
    agent = create_agent(model, list(toolset.values()))
    chunks = [
        chunk
        async for chunk in agent.astream({"messages": [HumanMessage("go")]}, stream_mode="custom")
    ]
    progress = [c["data"] for c in chunks if c.get("name") == PROGRESS_EVENT]
    assert [(p["progress"], p["total"]) for p in progress] == [(1.0, 3.0), (2.0, 3.0), (3.0, 3.0)]


async def test_server_logs_go_to_the_server_logger(
    everything_gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="mcp_gateway_tools.server"):
        await invoke((await tools(everything_gateway))["toggle-simulated-logging"], {})
    assert any(r.name == "mcp_gateway_tools.server" for r in caplog.records)
