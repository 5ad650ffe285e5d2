"""HTTP-level conformance: status codes and exact bodies of the gateway's answers."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

from mcp_gateway_tools.devgateway import DevGateway

from .helpers import INITIALIZE, call, headers, rpc


def _no_trace(resp: httpx2.Response) -> None:
    assert resp.status_code != 500
    assert "Traceback" not in resp.text


def test_service_token_reaches_shared_credential_server(devgateway: DevGateway, http: Any) -> None:
    resp = http.post(
        devgateway.url("knowledge"), json=INITIALIZE, headers=headers(devgateway.tokens.service)
    )
    assert resp.status_code == 200
    assert resp.json()["result"]["serverInfo"]["name"] == "Knowledge Base"
    resp = http.post(
        devgateway.url("knowledge"),
        json=call("kb_whoami"),
        headers=headers(devgateway.tokens.service),
    )
    assert resp.status_code == 200
    assert resp.json()["result"]["structuredContent"] == {
        "server": "knowledge",
        "identity": "shared-credential",
    }


def test_static_api_key_is_injected_for_search(devgateway: DevGateway, http: Any) -> None:
    resp = http.post(
        devgateway.url("search"),
        json=call("web_search", {"query": "mcp gateway", "limit": 2}),
        headers=headers(devgateway.tokens.user("alice")),
    )
    result = resp.json()["result"]
    assert result["isError"] is False
    assert [r["url"] for r in result["structuredContent"]["results"]] == [
        "https://search.example.com/mcp-gateway/1",
        "https://search.example.com/mcp-gateway/2",
    ]


def test_missing_grant_gives_exact_401_body(devgateway: DevGateway, http: Any) -> None:
    resp = http.post(
        devgateway.url("mail"), json=INITIALIZE, headers=headers(devgateway.tokens.user("alice"))
    )
    assert resp.status_code == 401
    body = resp.json()
    assert set(body) == {"error", "message", "authorization_urls", "server_names"}
    assert body["error"]["type"] == "McpAuthRequiredError"
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert isinstance(body["message"], str)
    assert body["message"]
    assert list(body["authorization_urls"]) == ["mail"]
    assert body["authorization_urls"]["mail"].startswith(f"{devgateway.base_url}/consent/")
    assert body["server_names"] == {"mail": "Mail"}


def test_server_discover_also_gets_the_401(devgateway: DevGateway, http: Any) -> None:
    discover = rpc("server/discover", {})
    resp = http.post(
        devgateway.url("calendar"), json=discover, headers=headers(devgateway.tokens.user("bob"))
    )
    assert resp.status_code == 401
    assert resp.json()["server_names"] == {"calendar": "Calendar"}


def test_after_consent_the_same_call_succeeds(devgateway: DevGateway, http: Any) -> None:
    token = devgateway.tokens.user("alice")
    assert (
        http.post(devgateway.url("mail"), json=INITIALIZE, headers=headers(token)).status_code
        == 401
    )
    assert devgateway.consent("alice", "mail").granted
    assert devgateway.grants() == [("alice@example.com", "mail")]
    resp = http.post(devgateway.url("mail"), json=call("mail_whoami"), headers=headers(token))
    assert resp.status_code == 200
    assert resp.json()["result"]["structuredContent"]["user"] == "alice@example.com"


def test_users_only_see_their_own_data(devgateway: DevGateway, http: Any) -> None:
    devgateway.consent("alice", "mail")
    devgateway.consent("bob", "mail")
    for user in ("alice", "bob"):
        resp = http.post(
            devgateway.url("mail"),
            json=call("list_messages"),
            headers=headers(devgateway.tokens.user(user)),
        )
        data = resp.json()["result"]["structuredContent"]
        assert data["owner"] == f"{user}@example.com"
    # Bob cannot read Alice's message id through his own grant.
    resp = http.post(
        devgateway.url("mail"),
        json=call("read_message", {"message_id": "m-a1"}),
        headers=headers(devgateway.tokens.user("bob")),
    )
    assert resp.json()["result"]["isError"] is True


def test_service_token_on_per_user_oauth_server_is_403(devgateway: DevGateway, http: Any) -> None:
    resp = http.post(
        devgateway.url("mail"), json=INITIALIZE, headers=headers(devgateway.tokens.service)
    )
    assert resp.status_code == 403
    body = resp.json()
    assert body["error"]["type"] == "PermissionDeniedError"
    assert "service" in body["error"]["message"]
    assert "per-user OAuth" in body["error"]["message"]
    assert "authorization_urls" not in body


def test_virtual_server_mid_session_401_only_for_oauth_tool(
    devgateway: DevGateway, http: Any
) -> None:
    token = devgateway.tokens.user("bob")
    url = devgateway.url("workspace")
    assert http.post(url, json=INITIALIZE, headers=headers(token)).status_code == 200
    listed = http.post(url, json=rpc("tools/list", {}), headers=headers(token)).json()
    names = {t["name"] for t in listed["result"]["tools"]}
    assert names == {
        "search_docs",
        "get_article",
        "web_search",
        "list_messages",
        "read_message",
        "mail_whoami",
    }
    resp = http.post(url, json=call("mail_whoami"), headers=headers(token))
    assert resp.status_code == 401
    assert resp.json()["error"]["type"] == "McpAuthRequiredError"
    assert list(resp.json()["authorization_urls"]) == ["mail"]
    ok = http.post(url, json=call("get_article", {"article_id": "kb-2"}), headers=headers(token))
    assert ok.status_code == 200
    assert ok.json()["result"]["structuredContent"]["title"] == "Expense policy"
    devgateway.consent("bob", "mail")
    resp = http.post(url, json=call("mail_whoami"), headers=headers(token))
    assert resp.json()["result"]["structuredContent"]["user"] == "bob@example.com"


def test_service_token_on_virtual_server(devgateway: DevGateway, http: Any) -> None:
    token = devgateway.tokens.service
    url = devgateway.url("workspace")
    ok = http.post(url, json=call("search_docs", {"query": "password"}), headers=headers(token))
    assert ok.json()["result"]["content"][0]["text"].startswith("kb-1")
    denied = http.post(url, json=call("list_messages"), headers=headers(token))
    assert denied.status_code == 403
    assert "per-user OAuth" in denied.json()["error"]["message"]


@pytest.mark.parametrize(
    ("authorization", "kind"),
    [
        (None, "MissingTokenError"),
        ("Bearer", "InvalidTokenError"),
        ("Basic dXNlcjpwYXNz", "InvalidTokenError"),
        ("Bearer not-a-known-token", "InvalidTokenError"),
        ("Bearer a.b.c", "InvalidTokenError"),
        ("Bearer two words", "InvalidTokenError"),
    ],
)
def test_missing_or_garbled_authorization_is_401(
    devgateway: DevGateway, http: Any, authorization: str | None, kind: str
) -> None:
    hdrs = headers()
    if authorization is not None:
        hdrs["Authorization"] = authorization
    resp = http.post(devgateway.url("knowledge"), json=INITIALIZE, headers=hdrs)
    assert resp.status_code == 401
    body = resp.json()
    assert body["error"]["type"] == kind
    assert body["error"]["type"] != "McpAuthRequiredError"
    assert "authorization_urls" not in body
    assert "not-a-known-token" not in resp.text


def test_unknown_server_is_404(devgateway: DevGateway, http: Any) -> None:
    resp = http.post(
        devgateway.url("nope"), json=INITIALIZE, headers=headers(devgateway.tokens.service)
    )
    assert resp.status_code == 404
    assert resp.json()["error"]["type"] == "NotFoundError"
    resp = http.get(f"{devgateway.base_url}/mcp/knowledge/other")
    assert resp.status_code == 404
    assert resp.json()["error"]["type"] == "NotFoundError"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "GET", "DELETE", "OPTIONS"])
def test_wrong_method_is_405(devgateway: DevGateway, http: Any, method: str) -> None:
    resp = http.request(
        method, devgateway.url("knowledge"), headers=headers(devgateway.tokens.service)
    )
    assert resp.status_code == 405
    assert resp.json()["error"]["type"] == "MethodNotAllowedError"
    assert resp.headers["allow"] == "POST"


def test_foreign_host_header_is_refused(devgateway: DevGateway, http: Any) -> None:
    resp = http.post(
        devgateway.url("knowledge"),
        json=INITIALIZE,
        headers=headers(devgateway.tokens.service, Host="attacker.example.com"),
    )
    assert resp.status_code == 421
    assert resp.json()["error"]["type"] == "MisdirectedRequestError"
    ok = http.post(
        devgateway.url("knowledge").replace("127.0.0.1", "localhost"),
        json=INITIALIZE,
        headers=headers(devgateway.tokens.service),
    )
    assert ok.status_code == 200


def test_oversized_body_is_413(devgateway: DevGateway, http: Any) -> None:
    big = rpc("tools/call", {"name": "search_docs", "arguments": {"query": "x" * 2_000_000}})
    resp = http.post(
        devgateway.url("knowledge"), json=big, headers=headers(devgateway.tokens.service)
    )
    assert resp.status_code == 413
    assert resp.json()["error"]["type"] == "PayloadTooLargeError"


def test_oversized_chunked_body_is_413(devgateway: DevGateway, http: Any) -> None:
    def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 65536

    resp = http.post(
        devgateway.url("knowledge"), content=chunks(), headers=headers(devgateway.tokens.service)
    )
    assert resp.status_code == 413


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"{not json", -32700),
        (b"\xff\xfe", -32700),
        (b"[]", -32600),
        (b'"just a string"', -32600),
        (b'{"jsonrpc": "1.0", "id": 1, "method": "initialize"}', -32600),
        (b'{"jsonrpc": "2.0", "id": 1}', -32600),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": 5}', -32600),
    ],
)
def test_malformed_jsonrpc_is_400(
    devgateway: DevGateway, http: Any, content: bytes, code: int
) -> None:
    resp = http.post(
        devgateway.url("knowledge"), content=content, headers=headers(devgateway.tokens.service)
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == code
    _no_trace(resp)


def test_unknown_tool_is_a_jsonrpc_error_not_500(devgateway: DevGateway, http: Any) -> None:
    resp = http.post(
        devgateway.url("knowledge"),
        json=call("no_such_tool"),
        headers=headers(devgateway.tokens.service),
    )
    _no_trace(resp)
    body = resp.json()
    assert "error" in body or body["result"]["isError"] is True


def test_access_rules_give_403(http: Any) -> None:
    from mcp_gateway_tools.devgateway import DEFAULT_CONFIG_TOML, parse_config

    text = DEFAULT_CONFIG_TOML.replace(
        'display_name = "Web Search"', 'display_name = "Web Search"\nusers = ["alice"]'
    ).replace(
        'display_name = "Knowledge Base"\nsample = "knowledge"\naccounts = ["*"]',
        'display_name = "Knowledge Base"\nsample = "knowledge"\naccounts = []',
    )
    with DevGateway(parse_config(text)) as gw:
        ok = http.post(gw.url("search"), json=INITIALIZE, headers=headers(gw.tokens.user("alice")))
        assert ok.status_code == 200
        for url, token in (
            (gw.url("search"), gw.tokens.user("bob")),
            (gw.url("knowledge"), gw.tokens.service),
        ):
            resp = http.post(url, json=INITIALIZE, headers=headers(token))
            assert resp.status_code == 403
            assert resp.json()["error"]["type"] == "PermissionDeniedError"


def test_health_and_jwks_routes(devgateway: DevGateway, http: Any) -> None:
    assert http.get(f"{devgateway.base_url}/healthz").json()["status"] == "ok"
    jwks = http.get(f"{devgateway.base_url}/idp/jwks.json").json()
    assert jwks["keys"]
    assert "d" not in jwks["keys"][0]
    assert http.get(f"{devgateway.base_url}/nowhere").status_code == 404
    assert (
        json.loads(http.get(f"{devgateway.base_url}/nowhere").text)["error"]["type"]
        == "NotFoundError"
    )
