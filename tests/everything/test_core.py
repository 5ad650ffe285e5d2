"""The reference server through the core: every tool, every content kind, kept whole."""

from __future__ import annotations

import base64
import gzip
import json

import pytest

from mcp_gateway_tools import (
    Answer,
    AuthorizationRequest,
    AuthorizationRequired,
    ContentAnnotations,
    Gateway,
    ImageBlock,
    InputRequest,
    InputRequired,
    Progress,
    ResourceBlock,
    ResourceLinkBlock,
    ServerLog,
    TextBlock,
    UserActionRequest,
)
from tests.everything.cases import CALLS, HELLO
from tests.everything.conftest import SERVER
from tests.everything.server import EverythingServer, listening_hosts

pytestmark = pytest.mark.everything


def test_the_reference_server_listens_on_loopback_only(everything: EverythingServer) -> None:
    assert listening_hosts(everything.port) == {"127.0.0.1"}


async def test_every_listed_tool_has_a_case(everything_gateway: Gateway) -> None:
    listed = {tool.name for tool in await everything_gateway.list_tools(SERVER)}
    assert listed == set(CALLS)


@pytest.mark.parametrize("tool", sorted(set(CALLS) - {"trigger-url-elicitation"}))
async def test_every_tool_answers_with_a_result_not_a_crash(
    everything_gateway: Gateway, tool: str
) -> None:
    result = await everything_gateway.call_tool(
        SERVER, tool, CALLS[tool], unanswered_input="decline", on_log=lambda _: None
    )
    assert result.content, tool
    assert "CallToolResult(" not in result.text


async def test_text_structured_content_and_sum(everything_gateway: Gateway) -> None:
    echo = await everything_gateway.call_tool(SERVER, "echo", CALLS["echo"])
    assert echo.content == (TextBlock("Echo: hi"),)
    total = await everything_gateway.call_tool(SERVER, "get-sum", CALLS["get-sum"])
    assert "42" in total.text
    weather = await everything_gateway.call_tool(
        SERVER, "get-structured-content", CALLS["get-structured-content"]
    )
    assert set(weather.structured_content) == {"temperature", "conditions", "humidity"}
    assert json.loads(weather.text) == weather.structured_content


async def test_content_annotations_keep_audience_and_priority(everything_gateway: Gateway) -> None:
    result = await everything_gateway.call_tool(
        SERVER, "get-annotated-message", CALLS["get-annotated-message"]
    )
    text, image = result.content
    assert isinstance(text, TextBlock)
    assert text.annotations == ContentAnnotations(audience=("user", "assistant"), priority=1.0)
    assert isinstance(image, ImageBlock)
    assert image.annotations == ContentAnnotations(audience=("user",), priority=0.5)


async def test_image(everything_gateway: Gateway) -> None:
    result = await everything_gateway.call_tool(SERVER, "get-tiny-image", {})
    images = [b for b in result.content if isinstance(b, ImageBlock)]
    assert len(images) == 1
    assert images[0].mime_type == "image/png"
    assert base64.b64decode(images[0].data).startswith(b"\x89PNG")


async def test_resource_links_keep_name_description_uri_and_type(
    everything_gateway: Gateway,
) -> None:
    result = await everything_gateway.call_tool(
        SERVER, "get-resource-links", CALLS["get-resource-links"]
    )
    links = [b for b in result.content if isinstance(b, ResourceLinkBlock)]
    assert [link.name for link in links] == [
        "Blob Resource 1",
        "Text Resource 2",
        "Blob Resource 3",
        "Text Resource 4",
    ]
    assert links[1].uri == "demo://resource/dynamic/text/2"
    assert links[1].description == "Resource 2: plaintext resource"
    assert all(link.mime_type for link in links)


async def test_embedded_text_and_blob_resources_keep_their_uri(everything_gateway: Gateway) -> None:
    text = await everything_gateway.call_tool(
        SERVER, "get-resource-reference", {"resourceType": "Text", "resourceId": 2}
    )
    blob = await everything_gateway.call_tool(
        SERVER, "get-resource-reference", CALLS["get-resource-reference"]
    )
    (text_resource,) = [b for b in text.content if isinstance(b, ResourceBlock)]
    (blob_resource,) = [b for b in blob.content if isinstance(b, ResourceBlock)]
    assert text_resource.uri == "demo://resource/dynamic/text/2"
    assert text_resource.text is not None
    assert "Resource 2" in text_resource.text
    assert blob_resource.uri == "demo://resource/dynamic/blob/1"
    assert blob_resource.blob is not None
    assert b"Resource 1" in base64.b64decode(blob_resource.blob)


async def test_binary_blob_round_trips(everything_gateway: Gateway) -> None:
    result = await everything_gateway.call_tool(
        SERVER, "gzip-file-as-resource", CALLS["gzip-file-as-resource"]
    )
    (resource,) = result.content
    assert isinstance(resource, ResourceBlock)
    assert resource.uri == "demo://resource/session/hello.gz"
    assert resource.mime_type == "application/gzip"
    assert gzip.decompress(base64.b64decode(resource.blob or "")) == HELLO


async def test_progress_notifications_reach_the_caller(everything_gateway: Gateway) -> None:
    seen: list[Progress] = []
    result = await everything_gateway.call_tool(
        SERVER,
        "trigger-long-running-operation",
        CALLS["trigger-long-running-operation"],
        on_progress=seen.append,
    )
    assert "completed" in result.text
    assert [(p.progress, p.total) for p in seen] == [(1.0, 3.0), (2.0, 3.0), (3.0, 3.0)]
    assert {(p.server, p.tool) for p in seen} == {(SERVER, "trigger-long-running-operation")}


async def test_server_log_messages_reach_the_caller(everything_gateway: Gateway) -> None:
    logs: list[ServerLog] = []
    await everything_gateway.call_tool(SERVER, "toggle-simulated-logging", {}, on_log=logs.append)
    # The server logs once at once, then every 5 s: the first line arrives in the call.
    assert logs, "no server log line reached on_log"
    assert logs[0].server == SERVER
    assert logs[0].level in {
        "debug",
        "info",
        "notice",
        "warning",
        "error",
        "critical",
        "alert",
        "emergency",
    }


async def test_form_elicitation_is_never_answered_for_the_user(everything_gateway: Gateway) -> None:
    with pytest.raises(InputRequired) as raised:
        await everything_gateway.call_tool(SERVER, "trigger-elicitation-request", {})
    request = raised.value.request
    assert isinstance(request, InputRequest)
    assert "name" in request.requested_schema["properties"]
    assert request.defaults["integer"] == 42


async def test_form_elicitation_declined_by_policy(everything_gateway: Gateway) -> None:
    result = await everything_gateway.call_tool(
        SERVER, "trigger-elicitation-request", {}, unanswered_input="decline"
    )
    assert "declined" in result.text


async def test_form_elicitation_answered_by_the_apps_callback(everything_gateway: Gateway) -> None:
    asked: list[UserActionRequest] = []

    def answer(request: UserActionRequest) -> Answer:
        asked.append(request)
        return Answer.accept({"name": "Ada Lovelace", "check": True, "email": "ada@example.com"})

    result = await everything_gateway.call_tool(
        SERVER, "trigger-elicitation-request", {}, on_interaction=answer
    )
    assert [r.kind for r in asked] == ["input"]
    assert "Ada Lovelace" in result.text
    assert "It was a dark and stormy night." in result.text  # a default the user left


async def test_url_elicitation_unanswered_is_an_authorization_request(
    everything_gateway: Gateway,
) -> None:
    with pytest.raises(AuthorizationRequired) as raised:
        await everything_gateway.call_tool(
            SERVER, "trigger-url-elicitation", CALLS["trigger-url-elicitation"]
        )
    assert list(raised.value.authorization_urls.values()) == ["https://example.com/finish"]
    assert "service token" not in raised.value.message
    assert "OAuth" not in raised.value.message


async def test_url_elicitation_completes_once_the_user_says_done(
    everything_gateway: Gateway,
) -> None:
    asked: list[UserActionRequest] = []

    def done(request: UserActionRequest) -> Answer:
        asked.append(request)
        return Answer.accept()

    result = await everything_gateway.call_tool(
        SERVER, "trigger-url-elicitation", CALLS["trigger-url-elicitation"], on_interaction=done
    )
    assert "User completed the URL elicitation flow" in result.text
    (request,) = asked
    assert isinstance(request, AuthorizationRequest)
    assert request.url_elicitation


async def test_a_tool_needing_tasks_is_a_clear_tool_error(everything_gateway: Gateway) -> None:
    result = await everything_gateway.call_tool(
        SERVER, "simulate-research-query", {"topic": "gateways"}
    )
    assert result.is_error
    assert "task" in result.text
