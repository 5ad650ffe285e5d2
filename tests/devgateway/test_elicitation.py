"""Optional style: MCP URL elicitation (-32042) on tools/call instead of the HTTP 401."""

from __future__ import annotations

from typing import Any

import pytest
from fastmcp import Client
from mcp.shared.exceptions import MCPError

from mcp_gateway_tools.devgateway import (
    DEFAULT_CONFIG_TOML,
    DevGateway,
    GatewayConfig,
    parse_config,
)

from .helpers import INITIALIZE, call, headers


@pytest.fixture
def devgateway_config(request: pytest.FixtureRequest) -> GatewayConfig:
    """The shipped plugin's ``devgateway``, in the ``auth_required_style`` a test names
    with ``@pytest.mark.parametrize("devgateway_config", [style], indirect=True)``."""
    style = request.param
    return parse_config(DEFAULT_CONFIG_TOML + f'\n[gateway]\nauth_required_style = "{style}"\n')


url_elicitation = pytest.mark.parametrize("devgateway_config", ["url-elicitation"], indirect=True)
input_required = pytest.mark.parametrize("devgateway_config", ["input-required"], indirect=True)


def alice_calls_mail(devgateway: DevGateway, http: Any, rid: int) -> dict[str, Any]:
    """Alice connects to mail (that succeeds without consent) and calls a tool: the
    JSON-RPC answer, which in these styles comes with HTTP 200."""
    token = devgateway.tokens.user("alice")
    connect = http.post(devgateway.url("mail"), json=INITIALIZE, headers=headers(token))
    assert connect.status_code == 200
    resp = http.post(
        devgateway.url("mail"), json=call("mail_whoami", id=rid), headers=headers(token)
    )
    assert resp.status_code == 200
    body: dict[str, Any] = resp.json()
    assert body["id"] == rid
    return body


@url_elicitation
def test_connect_succeeds_and_call_gets_32042(devgateway: DevGateway, http: Any) -> None:
    body = alice_calls_mail(devgateway, http, rid=7)
    assert body["error"]["code"] == -32042
    (elicitation,) = body["error"]["data"]["elicitations"]
    assert elicitation["mode"] == "url"
    assert elicitation["url"].startswith(f"{devgateway.base_url}/consent/")
    assert elicitation["elicitationId"]
    assert elicitation["message"]
    # The link in the error is a working consent link.
    assert devgateway.consent("alice", "mail", link=elicitation["url"]).granted
    token = devgateway.tokens.user("alice")
    ok = http.post(devgateway.url("mail"), json=call("mail_whoami"), headers=headers(token))
    assert ok.json()["result"]["structuredContent"]["user"] == "alice@example.com"


@url_elicitation
def test_service_token_is_still_403(devgateway: DevGateway, http: Any) -> None:
    resp = http.post(
        devgateway.url("mail"), json=INITIALIZE, headers=headers(devgateway.tokens.service)
    )
    assert resp.status_code == 403


@url_elicitation
async def test_through_a_client_session(devgateway: DevGateway) -> None:
    async with Client(devgateway.url("workspace"), auth=devgateway.tokens.user("bob")) as client:
        with pytest.raises(MCPError) as info:
            await client.call_tool("list_messages", {})
        assert info.value.error.code == -32042
        hits = await client.call_tool("search_docs", {"query": "vpn"})
        assert not hits.is_error
        await devgateway.aconsent("bob", "mail")
        inbox = await client.call_tool("list_messages", {})
        assert inbox.structured_content is not None
        assert inbox.structured_content["owner"] == "bob@example.com"


@input_required
def test_input_required_result_shape(devgateway: DevGateway, http: Any) -> None:
    result = alice_calls_mail(devgateway, http, rid=3)["result"]
    assert result["resultType"] == "input_required"
    request = result["inputRequests"]["authorize-mail"]
    assert request["method"] == "elicitation/create"
    assert request["params"]["mode"] == "url"
    assert request["params"]["url"].startswith(f"{devgateway.base_url}/consent/")


@input_required
async def test_input_required_driven_by_a_client_elicitation_handler(
    devgateway: DevGateway,
) -> None:
    from fastmcp.client.elicitation import ElicitResult

    urls: list[str] = []

    async def handler(message: str, response_type: Any, params: Any, context: Any) -> ElicitResult:
        urls.append(params.url)
        await devgateway.aconsent("bob", "mail", link=params.url)
        return ElicitResult(action="accept")

    async with Client(
        devgateway.url("mail"), auth=devgateway.tokens.user("bob"), elicitation_handler=handler
    ) as client:
        result = await client.call_tool("mail_whoami", {})
    assert result.structured_content is not None
    assert result.structured_content["user"] == "bob@example.com"
    assert len(urls) == 1
