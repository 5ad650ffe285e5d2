"""The web demo's scripted model picks tools from the user's words (no LLM involved)."""

from __future__ import annotations

from langchain_core.messages import HumanMessage, ToolMessage

from mcp_gateway_tools.demo.web._plan import HELP, calls_for, web_plan


def test_requests_map_to_the_tools_they_need() -> None:
    assert calls_for("list my mail") == [("list_messages", {})]
    assert calls_for("What is on my calendar?") == [("list_events", {})]
    ((name, args),) = calls_for("send a mail to alice")
    assert name == "send_message"
    assert args["to"] == "alice@example.com"
    assert calls_for("hello") == []


def test_the_answer_describes_the_structured_result_not_raw_json() -> None:
    human = HumanMessage("list my mail")
    call = web_plan([human])
    assert call.tool_calls[0]["name"] == "list_messages"
    result = ToolMessage(
        content='{"owner": "bob@example.com"}',
        tool_call_id=call.tool_calls[0]["id"],
        artifact={
            "structured_content": {
                "owner": "bob@example.com",
                "messages": [
                    {"id": "m-b1", "from": "dave@example.com", "subject": "Invoice #4411"}
                ],
            }
        },
    )
    answer = web_plan([human, call, result])
    assert answer.text == "Inbox of bob@example.com:\n• Invoice #4411 — from dave@example.com"
    assert web_plan([HumanMessage("hello")]).text == HELP
