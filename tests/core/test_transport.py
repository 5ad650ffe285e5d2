"""The error-preserving transport, pinned to exact byte sequences (mocked HTTP only here)."""

from __future__ import annotations

import json

import httpx2

from mcp_gateway_tools._transport import (
    HTTP_ERROR_CODE,
    HTTP_ERROR_MARKER,
    MAX_ERROR_BODY,
    ErrorPreservingTransport,
)

REQUEST = b'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x"}}'


async def _send(
    handler: httpx2.MockTransport, body: bytes = REQUEST, method: str = "POST"
) -> httpx2.Response:
    transport = ErrorPreservingTransport(handler)
    request = httpx2.Request(method, "http://gw.test/mcp/a/server", content=body)
    response = await transport.handle_async_request(request)
    await response.aread()
    return response


async def test_a_401_body_is_carried_in_a_jsonrpc_error_for_the_request_id() -> None:
    body = b'{"error":{"type":"McpAuthRequiredError"},"authorization_urls":{"a":"https://x/y"}}'
    response = await _send(
        httpx2.MockTransport(
            lambda r: httpx2.Response(401, content=body, headers={"www-authenticate": "Bearer"})
        )
    )
    message = json.loads(response.content)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert message["id"] == 7
    assert message["error"]["code"] == HTTP_ERROR_CODE
    data = message["error"]["data"]
    assert data[HTTP_ERROR_MARKER] is True
    assert data["status"] == 401
    assert data["body"]["authorization_urls"] == {"a": "https://x/y"}
    assert data["headers"] == {"www-authenticate": "Bearer"}


async def test_a_jsonrpc_error_body_passes_through_unchanged() -> None:
    body = (
        b'{"jsonrpc":"2.0","id":"server-error",'
        b'"error":{"code":-32600,"message":"Session not found"}}'
    )
    response = await _send(
        httpx2.MockTransport(
            lambda r: httpx2.Response(
                404, content=body, headers={"content-type": "application/json"}
            )
        )
    )
    assert response.content == body


async def test_an_html_body_is_kept_as_text() -> None:
    response = await _send(
        httpx2.MockTransport(lambda r: httpx2.Response(502, content=b"<html>bad</html>"))
    )
    assert json.loads(response.content)["error"]["data"]["body"] == "<html>bad</html>"


async def test_a_huge_body_is_cut_at_one_mebibyte() -> None:
    response = await _send(
        httpx2.MockTransport(lambda r: httpx2.Response(500, content=b"x" * (MAX_ERROR_BODY * 3)))
    )
    data = json.loads(response.content)["error"]["data"]
    assert data["truncated"] is True
    assert len(data["body"]) == MAX_ERROR_BODY


async def test_success_and_get_requests_are_untouched() -> None:
    ok = await _send(httpx2.MockTransport(lambda r: httpx2.Response(200, content=b"{}")))
    assert ok.content == b"{}"
    get = await _send(
        httpx2.MockTransport(lambda r: httpx2.Response(405, content=b"no")), method="GET"
    )
    assert get.status_code == 405
    assert get.content == b"no"


async def test_a_notification_error_needs_no_answer() -> None:
    note = b'{"jsonrpc":"2.0","method":"notifications/initialized"}'
    response = await _send(
        httpx2.MockTransport(lambda r: httpx2.Response(500, content=b"x")), body=note
    )
    assert response.status_code == 202


async def test_connection_refused_is_marked_as_not_having_reached_the_server() -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("refused", request=request)

    data = json.loads((await _send(httpx2.MockTransport(refuse))).content)["error"]["data"]
    assert data["transport_error"] == "ConnectError"
    assert data["may_have_reached_server"] is False


async def test_a_reset_mid_response_may_have_reached_the_server() -> None:
    def reset(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadError("reset", request=request)

    data = json.loads((await _send(httpx2.MockTransport(reset))).content)["error"]["data"]
    assert data["may_have_reached_server"] is True
