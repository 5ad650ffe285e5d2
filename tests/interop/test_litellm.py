"""The library against a real LiteLLM proxy 1.108.7 (no mocks, no database).

LiteLLM serves each MCP server at ``/mcp/<name>`` and ``/<name>/mcp`` (all of them at
``/mcp``); callers present a LiteLLM key as a bearer token. A user's own credential
for an upstream travels per request in ``x-mcp-<alias>-authorization``. An
OAuth-protected server answers a key without a stored grant with 401 and
``WWW-Authenticate: Bearer authorization_uri=...``: :class:`OAuthRequired`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from contextvars import ContextVar

import pytest

from mcp_gateway_tools import (
    AccessDenied,
    Gateway,
    InvalidToken,
    OAuthRequired,
    ToolLoadError,
    ToolLoadWarning,
    user_token,
)
from mcp_gateway_tools.langchain import GatewayToolkit
from tests.interop import wire
from tests.interop.conftest import LiteLLMSetup


@pytest.mark.parametrize("template", ["{base}/mcp/{server}", "{base}/{server}/mcp"])
async def test_both_url_shapes_reach_the_server_through_the_template(
    litellm: LiteLLMSetup, template: str
) -> None:
    async with Gateway(litellm.url, endpoint_template=template, token="sk-service") as gateway:
        assert {"echo-whoami", "echo-echo"} <= {t.name for t in await gateway.list_tools("echo")}
        result = await gateway.call_tool("echo", "echo-echo", {"text": template})
    assert result.text == template


async def test_servers_alias_reaches_the_all_servers_endpoint(litellm: LiteLLMSetup) -> None:
    async with Gateway(servers={"all": f"{litellm.url}/mcp"}, token="sk-service") as gateway:
        names = {t.name for t in await gateway.list_tools("all")}
        assert {"echo-echo", "byok_echo-echo"} <= names
        assert (await gateway.call_tool("all", "echo-echo", {"text": "all"})).text == "all"


async def test_a_service_key_calls_the_shared_upstream(litellm: LiteLLMSetup) -> None:
    async with Gateway(servers={"echo": f"{litellm.url}/mcp/echo"}, token="sk-service") as gw:
        result = await gw.call_tool("echo", "echo-whoami", {})
    assert result.structured_content["server"] == "echo"
    assert result.structured_content["authorization"] is None  # the key stays at LiteLLM


async def test_b_each_user_upstream_credential_travels_in_its_own_calls(
    litellm: LiteLLMSetup,
) -> None:
    upstream_credential: ContextVar[str] = ContextVar("upstream_credential")

    def per_user(server: str) -> Mapping[str, str]:
        return {f"x-mcp-{server}-authorization": f"Bearer {upstream_credential.get()}"}

    url = f"{litellm.url}/mcp/byok_echo"
    async with Gateway(servers={"byok_echo": url}, headers=per_user) as gateway:

        async def whoami(key: str, credential: str) -> str | None:
            upstream_credential.set(credential)
            with user_token(key):
                result = await gateway.call_tool("byok_echo", "byok_echo-whoami", {})
            assert not result.is_error, result.text
            seen: str | None = result.structured_content["authorization"]
            return seen

        pairs = [("sk-alice", "alice-upstream"), ("sk-bob", "bob-upstream")] * 4
        seen = await asyncio.gather(*(whoami(k, c) for k, c in pairs))
    assert seen == [f"Bearer {credential}" for _, credential in pairs]


@pytest.mark.parametrize("kind", ["unknown", "expired", "revoked"])
async def test_rejected_key_is_invalid_token_with_litellm_own_message(
    litellm: LiteLLMSetup, kind: str
) -> None:
    url = f"{litellm.url}/mcp/echo"
    key = f"sk-{kind}-key"
    if kind != "unknown":
        litellm.keys.issue(key, f"{kind}-user")
    async with Gateway(servers={"echo": url}) as gateway:
        if kind == "revoked":
            assert (await gateway.call_tool("echo", "echo-echo", {"text": "ok"}, token=key)).text
            litellm.keys.revoke(key)
        elif kind == "expired":
            litellm.keys.expire(key)
        said = wire.initialize(url, key)
        assert said.status == 401
        with pytest.raises(InvalidToken) as raised:
            await gateway.call_tool("echo", "echo-echo", {"text": "x"}, token=key)
    assert said.detail in raised.value.message
    assert key not in raised.value.message


async def test_unknown_server_is_access_denied(litellm: LiteLLMSetup) -> None:
    said = wire.initialize(f"{litellm.url}/mcp/nosuch", "sk-alice")
    assert said.status == 403
    async with Gateway(litellm.url, endpoint_template="{base}/mcp/{server}") as gateway:
        with pytest.raises(AccessDenied) as raised:
            await gateway.call_tool("nosuch", "echo", {}, token="sk-alice")
    assert "nosuch" in raised.value.message


async def test_oauth_protected_server_is_oauth_required_with_the_challenge(
    litellm: LiteLLMSetup,
) -> None:
    url = f"{litellm.url}/mcp/oauth_echo"
    said = wire.initialize(url, "sk-alice")
    assert said.status == 401
    challenge = said.headers["www-authenticate"]
    async with Gateway(servers={"oauth_echo": url}, token="sk-alice") as gateway:
        with pytest.raises(OAuthRequired) as raised:
            await gateway.call_tool("oauth_echo", "oauth_echo-whoami", {})
        # The same key works on the gateway's other servers: it is not a bad token.
        gateway_url = f"{litellm.url}/mcp/echo"
    assert raised.value.authorization_uri is not None
    assert raised.value.authorization_uri in challenge
    assert raised.value.authorization_uri.startswith(litellm.url)
    async with Gateway(servers={"echo": gateway_url}, token="sk-alice") as gateway:
        assert (await gateway.call_tool("echo", "echo-echo", {"text": "fine"})).text == "fine"


@pytest.mark.timeout(300, func_only=True)  # a real restart: the gateway boots again
async def test_gateway_restart_the_next_call_recovers(litellm: LiteLLMSetup) -> None:
    url = f"{litellm.url}/mcp/echo"
    async with Gateway(servers={"echo": url}, token="sk-service") as gateway:
        assert (await gateway.call_tool("echo", "echo-echo", {"text": "before"})).text == "before"
        await asyncio.to_thread(litellm.process.restart)
        after = await gateway.call_tool("echo", "echo-echo", {"text": "after"})
    assert after.text == "after"


async def test_listing_an_oauth_server_raises_oauth_required_never_an_empty_list(
    litellm: LiteLLMSetup,
) -> None:
    url = f"{litellm.url}/mcp/oauth_echo"
    async with Gateway(servers={"oauth_echo": url}, token="sk-alice") as gateway:
        with pytest.raises(OAuthRequired) as raised:
            await gateway.list_tools("oauth_echo")
    assert raised.value.server == "oauth_echo"


async def test_loading_tools_never_drops_the_oauth_server_silently(
    litellm: LiteLLMSetup,
) -> None:
    servers = {"echo": f"{litellm.url}/mcp/echo", "oauth_echo": f"{litellm.url}/mcp/oauth_echo"}
    async with Gateway(servers=servers, token="sk-alice") as gateway:
        toolkit = GatewayToolkit(gateway, servers=["echo", "oauth_echo"])
        with pytest.warns(ToolLoadWarning) as warned:
            tools = await toolkit.aget_tools()
        strict = GatewayToolkit(gateway, servers=["echo", "oauth_echo"], on_server_error="raise")
        with pytest.raises(ToolLoadError) as raised:
            await strict.aget_tools()
    assert {t.metadata["mcp"]["server"]["name"] for t in tools} == {"echo"}
    [warning] = [w.message for w in warned if isinstance(w.message, ToolLoadWarning)]
    assert isinstance(warning.error, OAuthRequired)
    assert set(raised.value.errors) == {"oauth_echo"}
    assert isinstance(raised.value.errors["oauth_echo"], OAuthRequired)
