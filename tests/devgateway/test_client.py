"""Through a stock fastmcp Client: the three scenarios, content kinds, and isolation.

A stock Client discards the 401 body (the HTTP-level tests check it); here we check
that the failure surfaces at connect and that the same client code succeeds after
consent, with no change on the client side.
"""

from __future__ import annotations

import asyncio
import base64

import pytest
from fastmcp import Client
from mcp.shared.exceptions import MCPError

from mcp_gateway_tools.devgateway import DevGateway


async def test_scenario_a_service_token(devgateway: DevGateway) -> None:
    async with Client(devgateway.url("knowledge"), auth=devgateway.tokens.service) as client:
        tools = {t.name for t in await client.list_tools()}
        assert tools == {"search_docs", "get_article", "get_diagram", "kb_whoami"}
        text = await client.call_tool("search_docs", {"query": "vpn"})
        assert text.content[0].text == "kb-3: VPN setup"  # type: ignore[union-attr]
        article = await client.call_tool("get_article", {"article_id": "kb-1"})
        assert article.structured_content is not None
        assert article.structured_content["title"] == "Resetting your password"
        image = await client.call_tool("get_diagram", {"article_id": "kb-1"})
        block = image.content[0]
        assert block.type == "image"
        assert block.mime_type == "image/png"  # type: ignore[union-attr]
        assert base64.b64decode(block.data).startswith(b"\x89PNG")  # type: ignore[union-attr]


async def test_tool_error_is_a_result_not_a_crash(devgateway: DevGateway) -> None:
    async with Client(devgateway.url("knowledge"), auth=devgateway.tokens.service) as client:
        result = await client.call_tool("get_article", {"article_id": "nope"}, raise_on_error=False)
        assert result.is_error


async def test_scenario_b_connect_fails_then_succeeds_after_consent(devgateway: DevGateway) -> None:
    token = devgateway.tokens.user("alice")
    with pytest.raises((MCPError, RuntimeError)):
        async with Client(devgateway.url("mail"), auth=token):
            pass
    await devgateway.aconsent("alice", "mail")
    async with Client(devgateway.url("mail"), auth=token) as client:
        who = await client.call_tool("mail_whoami", {})
        assert who.structured_content is not None
        assert who.structured_content["user"] == "alice@example.com"
        sent = await client.call_tool(
            "send_message", {"to": "bob@example.com", "subject": "hi", "body": "hello"}
        )
        assert sent.structured_content is not None
        assert sent.structured_content["from"] == "alice@example.com"


async def test_concurrent_users_never_see_each_other(devgateway: DevGateway) -> None:
    for user in ("alice", "bob"):
        await devgateway.aconsent(user, "mail")
        await devgateway.aconsent(user, "calendar")

    async def whoami(user: str, server: str) -> str:
        async with Client(devgateway.url(server), auth=devgateway.tokens.user(user)) as client:
            result = await client.call_tool(f"{server}_whoami", {})
            assert result.structured_content is not None
            return str(result.structured_content["user"])

    jobs = [(u, s) for _ in range(3) for u in ("alice", "bob") for s in ("mail", "calendar")]
    seen = await asyncio.gather(*(whoami(u, s) for u, s in jobs))
    assert seen == [f"{u}@example.com" for u, _ in jobs]


async def test_concurrent_calls_on_one_virtual_session(devgateway: DevGateway) -> None:
    await devgateway.aconsent("bob", "mail")
    async with Client(devgateway.url("workspace"), auth=devgateway.tokens.user("bob")) as client:
        results = await asyncio.gather(
            *(client.call_tool("list_messages", {}) for _ in range(10)),
            *(client.call_tool("web_search", {"query": "x"}) for _ in range(10)),
        )
    owners = {r.structured_content["owner"] for r in results[:10]}  # type: ignore[index]
    assert owners == {"bob@example.com"}


async def test_scenario_c_virtual_server_mixes_auth(devgateway: DevGateway) -> None:
    token = devgateway.tokens.user("bob")
    async with Client(devgateway.url("workspace"), auth=token) as client:
        hits = await client.call_tool("search_docs", {"query": "expense"})
        assert "kb-2" in hits.content[0].text  # type: ignore[union-attr]
        with pytest.raises(MCPError):
            await client.call_tool("list_messages", {})
    await devgateway.aconsent("bob", "mail")
    async with Client(devgateway.url("workspace"), auth=token) as client:
        inbox = await client.call_tool("list_messages", {})
        assert inbox.structured_content is not None
        assert inbox.structured_content["owner"] == "bob@example.com"
        search = await client.call_tool("web_search", {"query": "gateway", "limit": 1})
        assert search.structured_content is not None
        assert len(search.structured_content["results"]) == 1


async def test_interleaved_raw_requests_keep_identities(devgateway: DevGateway) -> None:
    import httpx2

    from .helpers import call, headers

    users = ["alice", "bob"]
    for user in users:
        await devgateway.aconsent(user, "mail")
        await devgateway.aconsent(user, "calendar")
    jwts = {user: devgateway.issue_jwt(user) for user in users}

    async with httpx2.AsyncClient(timeout=30) as http:

        async def one(i: int) -> tuple[str, str]:
            user = users[i % 2]
            token = jwts[user] if i % 3 == 0 else devgateway.tokens.user(user)
            server, tool = [("workspace", "mail_whoami"), ("mail", "mail_whoami"),
                            ("calendar", "calendar_whoami")][i % 3]  # fmt: skip
            resp = await http.post(devgateway.url(server), json=call(tool), headers=headers(token))
            return user, resp.json()["result"]["structuredContent"]["user"]

        pairs = await asyncio.gather(*(one(i) for i in range(30)))
    assert all(got == f"{user}@example.com" for user, got in pairs)
