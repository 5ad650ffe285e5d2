"""Optional style: MCP URL elicitation (-32042) on tools/call instead of the HTTP 401."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastmcp import Client
from mcp.shared.exceptions import MCPError

from mcp_gateway_tools.devgateway import DEFAULT_CONFIG_TOML, DevGateway, parse_config

from .helpers import INITIALIZE, call, headers


@pytest.fixture
def gw() -> Iterator[DevGateway]:
    text = DEFAULT_CONFIG_TOML + '\n[gateway]\nauth_required_style = "url-elicitation"\n'
    with DevGateway(parse_config(text)) as gateway:
        yield gateway


def test_connect_succeeds_and_call_gets_32042(gw: DevGateway, http: Any) -> None:
    token = gw.tokens.user("alice")
    assert http.post(gw.url("mail"), json=INITIALIZE, headers=headers(token)).status_code == 200
    resp = http.post(gw.url("mail"), json=call("mail_whoami", id=7), headers=headers(token))
    assert resp.status_code == 200
    body = resp.json()
    assert body["id"] == 7
    assert body["error"]["code"] == -32042
    (elicitation,) = body["error"]["data"]["elicitations"]
    assert elicitation["mode"] == "url"
    assert elicitation["url"].startswith(f"{gw.base_url}/consent/")
    assert elicitation["elicitationId"]
    assert elicitation["message"]
    # The link in the error is a working consent link.
    assert gw.consent("alice", "mail", link=elicitation["url"]).granted
    ok = http.post(gw.url("mail"), json=call("mail_whoami"), headers=headers(token))
    assert ok.json()["result"]["structuredContent"]["user"] == "alice@example.com"


def test_service_token_is_still_403(gw: DevGateway, http: Any) -> None:
    resp = http.post(gw.url("mail"), json=INITIALIZE, headers=headers(gw.tokens.service))
    assert resp.status_code == 403


async def test_through_a_client_session(gw: DevGateway) -> None:
    async with Client(gw.url("workspace"), auth=gw.tokens.user("bob")) as client:
        with pytest.raises(MCPError) as info:
            await client.call_tool("list_messages", {})
        assert info.value.error.code == -32042
        hits = await client.call_tool("search_docs", {"query": "vpn"})
        assert not hits.is_error
        await gw.aconsent("bob", "mail")
        inbox = await client.call_tool("list_messages", {})
        assert inbox.structured_content is not None
        assert inbox.structured_content["owner"] == "bob@example.com"


@pytest.fixture
def gw_input() -> Iterator[DevGateway]:
    text = DEFAULT_CONFIG_TOML + '\n[gateway]\nauth_required_style = "input-required"\n'
    with DevGateway(parse_config(text)) as gateway:
        yield gateway


def test_input_required_result_shape(gw_input: DevGateway, http: Any) -> None:
    token = gw_input.tokens.user("alice")
    assert (
        http.post(gw_input.url("mail"), json=INITIALIZE, headers=headers(token)).status_code == 200
    )
    resp = http.post(gw_input.url("mail"), json=call("mail_whoami", id=3), headers=headers(token))
    assert resp.status_code == 200
    body = resp.json()
    assert body["id"] == 3
    result = body["result"]
    assert result["resultType"] == "input_required"
    request = result["inputRequests"]["authorize-mail"]
    assert request["method"] == "elicitation/create"
    assert request["params"]["mode"] == "url"
    assert request["params"]["url"].startswith(f"{gw_input.base_url}/consent/")


async def test_input_required_driven_by_a_client_elicitation_handler(gw_input: DevGateway) -> None:
    from fastmcp.client.elicitation import ElicitResult

    urls: list[str] = []

    async def handler(message: str, response_type: Any, params: Any, context: Any) -> ElicitResult:
        urls.append(params.url)
        await gw_input.aconsent("bob", "mail", link=params.url)
        return ElicitResult(action="accept")

    async with Client(
        gw_input.url("mail"), auth=gw_input.tokens.user("bob"), elicitation_handler=handler
    ) as client:
        result = await client.call_tool("mail_whoami", {})
    assert result.structured_content is not None
    assert result.structured_content["user"] == "bob@example.com"
    assert len(urls) == 1
