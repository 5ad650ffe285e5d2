"""The core answers what a server asks mid-call only as the app says: never for the user."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from mcp_gateway_tools import (
    Answer,
    AuthorizationRequest,
    AuthorizationRequired,
    Gateway,
    InputRequest,
    InputRequired,
    Progress,
    ServerLog,
    UserActionRequest,
)
from mcp_gateway_tools._auth import SERVICE_TOKEN_NOTE
from tests.support.serving import ThreadedServer

from .servers import Ledger


async def test_an_unanswered_form_raises_input_required_and_nothing_answers_for_the_user(
    desk_gateway: Gateway, ledger: Ledger
) -> None:
    with pytest.raises(InputRequired) as caught:
        await desk_gateway.call_tool("desk", "book_seat", {"flight": "LH1"})
    request = caught.value.request
    assert isinstance(request, InputRequest)
    assert request.message == "Seat preferences for flight LH1?"
    assert request.defaults == {"seat": "aisle", "meal": True}
    assert request.requested_schema["required"] == ["name"]
    assert request.to_dict()["type"] == "input_required"
    assert ledger.answers == []  # the server got an error, not an answer


async def test_a_gateway_level_handler_answers_and_sep1034_defaults_fill_the_rest(
    served: ThreadedServer, ledger: Ledger
) -> None:
    seen: list[UserActionRequest] = []

    def answer(request: UserActionRequest) -> Answer:
        seen.append(request)
        return Answer.accept({"name": "Ann"})

    async with Gateway(served.url, token="t", protocol_mode="legacy", on_interaction=answer) as gw:
        result = await gw.call_tool("desk", "book_seat", {"flight": "LH1"})
    assert result.text == "booked LH1: aisle seat for Ann, meal=True"
    assert ledger.answers == [
        {"action": "accept", "content": {"seat": "aisle", "meal": True, "name": "Ann"}}
    ]
    assert [r.kind for r in seen] == ["input"]


async def test_a_per_call_async_handler_takes_precedence_over_the_gateways(
    served: ThreadedServer, ledger: Ledger
) -> None:
    async def per_call(request: UserActionRequest) -> dict[str, Any]:
        return {"action": "accept", "content": {"name": "Bo", "seat": "window"}}

    def gateway_level(request: UserActionRequest) -> Answer:
        raise AssertionError("the per-call handler answers first")

    async with Gateway(
        served.url, token="t", protocol_mode="legacy", on_interaction=gateway_level
    ) as gw:
        result = await gw.call_tool("desk", "book_seat", {"flight": "X"}, on_interaction=per_call)
    assert result.text == "booked X: window seat for Bo, meal=True"


async def test_headless_decline_sends_decline_to_the_server(
    desk_gateway: Gateway, ledger: Ledger
) -> None:
    result = await desk_gateway.call_tool(
        "desk", "book_seat", {"flight": "LH1"}, unanswered_input="decline"
    )
    assert result.text == "not booked: the passenger chose decline"
    assert ledger.answers == [{"action": "decline"}]


async def test_a_handler_returning_none_leaves_the_request_to_the_default(
    desk_gateway: Gateway,
) -> None:
    with pytest.raises(InputRequired):
        await desk_gateway.call_tool(
            "desk", "book_seat", {"flight": "A"}, on_interaction=lambda r: None
        )


async def test_an_answer_given_by_request_id_answers_the_rerun_of_the_same_call(
    desk_gateway: Gateway, ledger: Ledger
) -> None:
    with pytest.raises(InputRequired) as caught:
        await desk_gateway.call_tool("desk", "book_seat", {"flight": "LH1"})
    rid = caught.value.request.request_id
    result = await desk_gateway.call_tool(
        "desk", "book_seat", {"flight": "LH1"}, answers={rid: Answer.accept({"name": "Cy"})}
    )
    assert result.text == "booked LH1: aisle seat for Cy, meal=True"


async def test_a_url_elicitation_is_an_authorization_request_without_the_oauth_note(
    desk_gateway: Gateway, ledger: Ledger
) -> None:
    assert desk_gateway.has_service_token
    with pytest.raises(AuthorizationRequired) as caught:
        await desk_gateway.call_tool("desk", "link_account", {})
    error = caught.value
    assert SERVICE_TOKEN_NOTE.strip() not in error.message
    assert error.message == "Open the page to link your payment account."
    assert list(error.authorization_urls.values()) == ledger.links


async def test_after_the_user_is_done_the_server_gets_accept_and_the_call_finishes(
    desk_gateway: Gateway, ledger: Ledger
) -> None:
    requests: list[AuthorizationRequest] = []

    def done(request: UserActionRequest) -> Answer:
        assert isinstance(request, AuthorizationRequest)
        requests.append(request)
        return Answer.accept()

    result = await desk_gateway.call_tool("desk", "link_account", {}, on_interaction=done)
    assert result.text == "account linked"
    assert ledger.answers == [{"action": "accept"}]
    [request] = requests
    assert request.url_elicitation
    assert list(request.authorization_urls.values()) == ledger.links


async def test_progress_and_server_logs_reach_the_caller_and_the_server_logger(
    desk_gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[Progress | ServerLog] = []
    with caplog.at_level(logging.DEBUG):
        result = await desk_gateway.call_tool(
            "desk", "export_report", {"steps": 3}, on_progress=seen.append, on_log=seen.append
        )
    assert result.text == "exported in 3 steps"
    progress = [s for s in seen if isinstance(s, Progress)]
    assert [(p.progress, p.total, p.message) for p in progress] == [
        (1.0, 3.0, "step 1"),
        (2.0, 3.0, "step 2"),
        (3.0, 3.0, "step 3"),
    ]
    logs = [s for s in seen if isinstance(s, ServerLog)]
    assert [log.level for log in logs] == ["info", "warning"]
    server = [(r.levelno, r.getMessage()) for r in caplog.records if r.name.endswith(".server")]
    assert [level for level, _ in server] == [logging.INFO, logging.WARNING]
    assert "disk almost full" in server[1][1]
    assert not [r for r in caplog.records if r.name.startswith("fastmcp.client")]


def test_call_tool_sync_passes_the_known_tool_and_the_handlers(
    served: ThreadedServer, ledger: Ledger
) -> None:
    gw = Gateway(served.url, token="t", protocol_mode="legacy")
    try:
        [info] = [t for t in gw.list_tools_sync("desk") if t.name == "book_seat"]
        result = gw.call_tool_sync(
            "desk",
            "book_seat",
            {"flight": "S1"},
            known_tool=info,
            on_interaction=lambda r: Answer.accept({"name": "Di"}),
        )
    finally:
        gw.close()
    assert result.text == "booked S1: aisle seat for Di, meal=True"
