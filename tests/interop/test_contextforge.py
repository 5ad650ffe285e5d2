"""The library against a real IBM ContextForge 1.0.7 (no mocks).

ContextForge serves a virtual server at ``/servers/<uuid>/mcp``; callers present a
ContextForge JWT (a login session token or an API token). Its "authorize first" answer
is HTTP 200 with an ``isError`` result naming a relative ``/oauth/authorize/<id>`` link;
the library turns it into :class:`AuthorizationRequired` with the absolute link.
"""

from __future__ import annotations

import asyncio
import secrets

import pytest

from mcp_gateway_tools import (
    AccessDenied,
    AuthorizationRequired,
    Gateway,
    InvalidToken,
    RateLimited,
    user_token,
)
from tests.interop import wire
from tests.interop.conftest import ContextForgeSetup
from tests.interop.contextforge import ContextForge
from tests.interop.oauth_server import MockAuthorizationServer

TEMPLATE = "{base}/servers/{server}/mcp"


async def test_endpoint_template_addresses_a_virtual_server_by_its_uuid(
    contextforge: ContextForgeSetup,
) -> None:
    async with Gateway(contextforge.url, endpoint_template=TEMPLATE) as gateway:
        server = contextforge.shared_server
        tools = await gateway.list_tools(server, token=contextforge.alice)
        assert {"echo-whoami", "echo-echo"} <= {t.name for t in tools}
        result = await gateway.call_tool(
            server, "echo-echo", {"text": "via template"}, token=contextforge.alice
        )
    assert not result.is_error
    assert result.text == "via template"


async def test_servers_alias_names_a_virtual_server_everywhere(
    contextforge: ContextForgeSetup,
) -> None:
    url = contextforge.cf.server_url(contextforge.shared_server)
    async with Gateway(servers={"echo": url}) as gateway:
        tools = await gateway.list_tools("echo", token=contextforge.alice)
        assert {t.server for t in tools} == {"echo"}  # the alias, never the uuid
        result = await gateway.call_tool(
            "echo", "echo-echo", {"text": "via alias"}, token=contextforge.alice
        )
    assert result.text == "via alias"


async def test_a_service_api_token_calls_the_shared_upstream(
    contextforge: ContextForgeSetup,
) -> None:
    cf = contextforge.cf
    cf.create_user("svc@example.com")
    token, _ = cf.api_token("svc@example.com", "interop-service")
    url = cf.server_url(contextforge.shared_server)
    async with Gateway(servers={"echo": url}, token=token) as gateway:
        first = await gateway.call_tool("echo", "echo-echo", {"text": "one"})
        second = await gateway.call_tool("echo", "echo-whoami", {})
    assert first.text == "one"
    assert second.structured_content["server"] == "echo"
    assert not second.is_error


async def test_b_two_users_at_once_each_reach_the_upstream_with_their_own_grant(
    consented: ContextForgeSetup, authorization_server: MockAuthorizationServer
) -> None:
    url = consented.cf.server_url(consented.oauth_server)
    async with Gateway(servers={"mail": url}) as gateway:

        async def whoami(token: str) -> dict[str, str]:
            with user_token(token):
                result = await gateway.call_tool("mail", "mail-whoami", {})
            assert not result.is_error, result.text
            return dict(result.structured_content)

        seen = await asyncio.gather(
            *(whoami(t) for _ in range(4) for t in (consented.alice, consented.bob))
        )
    for index, identity in enumerate(seen):
        user = ("alice", "bob")[index % 2]
        assert identity["user"] == user
        token = identity["authorization"].removeprefix("Bearer ")
        assert token in authorization_server.tokens_of(user)


async def test_unconsented_user_gets_the_absolute_link_and_consenting_grants(
    contextforge: ContextForgeSetup,
) -> None:
    cf = contextforge.cf
    carol = cf.create_user("carol@example.com")
    url = cf.server_url(contextforge.oauth_server)
    async with Gateway(servers={"mail": url}) as gateway:
        # Listing needs no grant: every tool is there.
        assert "mail-whoami" in {t.name for t in await gateway.list_tools("mail", token=carol)}
        with pytest.raises(AuthorizationRequired) as raised:
            await gateway.call_tool("mail", "mail-whoami", {}, token=carol)
        link = raised.value.authorization_urls["mail"]
        assert link == f"{cf.url}/oauth/authorize/{contextforge.oauth_gateway_id}"
        assert "signed in" in raised.value.message
        assert raised.value.server == "mail"

        assert contextforge.consent(link, carol, "carol") == 200  # carol, signed in

        result = await gateway.call_tool("mail", "mail-whoami", {}, token=carol)
    assert not result.is_error, result.text
    assert result.structured_content["user"] == "carol"


async def test_a_user_without_tools_execute_gets_contextforge_access_denied_result(
    contextforge: ContextForgeSetup,
) -> None:
    url = contextforge.cf.server_url(contextforge.shared_server)
    async with Gateway(servers={"echo": url}) as gateway:
        result = await gateway.call_tool(
            "echo", "echo-echo", {"text": "x"}, token=contextforge.dave
        )
    assert result.is_error
    assert result.text == "Access denied"


@pytest.mark.parametrize("kind", ["garbage", "expired", "revoked"])
async def test_rejected_token_is_invalid_token_with_contextforge_own_message(
    contextforge: ContextForgeSetup, kind: str
) -> None:
    cf = contextforge.cf
    url = cf.server_url(contextforge.shared_server)
    async with Gateway(servers={"echo": url}) as gateway:
        if kind == "garbage":
            token = "not-a-contextforge-token"
        elif kind == "expired":
            token = cf.expired_copy(contextforge.alice)
        else:
            token, token_id = cf.api_token("alice@example.com", f"revoke-me-{secrets.token_hex(3)}")
            works = await gateway.call_tool("echo", "echo-echo", {"text": "ok"}, token=token)
            assert works.text == "ok"
            cf.revoke(token_id)
        said = wire.initialize(url, token)
        assert said.status == 401
        with pytest.raises(InvalidToken) as raised:
            await gateway.call_tool("echo", "echo-echo", {"text": "x"}, token=token)
    assert said.detail in raised.value.message
    assert token not in raised.value.message


async def test_unknown_virtual_server_is_access_denied_naming_both_causes(
    contextforge: ContextForgeSetup,
) -> None:
    missing = secrets.token_hex(16)
    said = wire.initialize(contextforge.cf.server_url(missing), contextforge.alice)
    assert (said.status, said.detail) == (403, "Access denied")
    async with Gateway(contextforge.url, endpoint_template=TEMPLATE) as gateway:
        with pytest.raises(AccessDenied) as raised:
            await gateway.call_tool(missing, "echo-echo", {"text": "x"}, token=contextforge.alice)
    assert "unknown server or no access" in raised.value.message
    assert "Access denied" in raised.value.message


async def test_rate_limit_is_rate_limited_with_the_gateway_retry_after(
    contextforge_limited: tuple[ContextForge, str],
) -> None:
    cf, server = contextforge_limited
    erin = cf.users["erin@example.com"]
    async with Gateway(servers={"echo": cf.server_url(server)}, token=erin) as gateway:
        limited = await _call_until_rate_limited(gateway, attempts=20)  # 5 a minute allowed
    assert limited.retry_after == 60
    assert "Maximum 5 requests per minute" in limited.message
    assert limited.status == 429


async def _call_until_rate_limited(gateway: Gateway, *, attempts: int) -> RateLimited:
    for _ in range(attempts):
        try:
            await gateway.call_tool("echo", "echo-echo", {"text": "x"})
        except RateLimited as exc:
            return exc
    raise AssertionError(f"not rate limited after {attempts} calls")


@pytest.mark.timeout(300, func_only=True)  # a real restart: the gateway boots again
async def test_gateway_restart_the_next_call_recovers(contextforge: ContextForgeSetup) -> None:
    url = contextforge.cf.server_url(contextforge.shared_server)
    async with Gateway(servers={"echo": url}, token=contextforge.alice) as gateway:
        assert (await gateway.call_tool("echo", "echo-echo", {"text": "before"})).text == "before"
        await asyncio.to_thread(contextforge.cf.process.restart)
        after = await gateway.call_tool("echo", "echo-echo", {"text": "after"})
    assert after.text == "after"
