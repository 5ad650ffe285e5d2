"""Grants after consent: refresh with rotation, step-up, resource mismatch, revocation.

Each against a real fastmcp server and its authorization server on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx2
import pytest
import pytest_asyncio
from fastmcp import FastMCP

from mcp_gateway_tools import (
    AuthorizationRequired,
    Gateway,
    ResourceMismatch,
    Server,
    app_user,
)
from mcp_gateway_tools.oauth import OAuth, OAuthClient
from tests.oauth.conftest import OAuthApp
from tests.oauth.servers import browse, serve_app, serve_protected, token_digest
from tests.support.serving import ThreadedServer, free_port

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def scoped() -> Iterator[tuple[str, FastMCP]]:
    """A server whose every request needs both ``read`` and ``write``."""
    with serve_protected(required_scopes=["read", "write"]) as served:
        yield served


@pytest.fixture(scope="module")
def plain() -> Iterator[tuple[str, FastMCP]]:
    with serve_protected() as served:
        yield served


def app_for(port: int, **servers: Server) -> Gateway:
    return Gateway(
        servers=servers,
        oauth=OAuthClient(redirect_uri=f"http://127.0.0.1:{port}/oauth/callback"),
    )


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def grants_app(
    scoped: tuple[str, FastMCP], plain: tuple[str, FastMCP]
) -> AsyncIterator[OAuthApp]:
    port = free_port()
    gateway = app_for(
        port,
        scoped=Server(scoped[0], oauth=OAuth(scope="read")),
        docs=Server(plain[0], oauth=OAuth()),
    )
    async with gateway, serve_app(gateway, port) as app_url:
        yield OAuthApp(gateway, app_url, plain[0])


async def authorize(app: OAuthApp, server: str, user: str) -> AuthorizationRequired:
    """Call once (expecting a link), consent in the browser; the raised request."""
    with app_user(user), pytest.raises(AuthorizationRequired) as raised:
        await app.gateway.call_tool(server, "whoami")
    page = await browse(
        raised.value.authorization_urls[server], user=user, callback_prefix=app.callback_prefix
    )
    assert page.status_code == 200, page.text
    return raised.value


def issued_token(mcp: FastMCP, digest: str) -> str:
    """The access token the authorization server issued with this digest."""
    tokens = mcp.auth.access_tokens  # type: ignore[union-attr]
    return next(t for t in tokens if token_digest(t) == digest)


async def test_a_token_refused_by_the_server_is_refreshed_once_and_rotated(
    grants_app: OAuthApp, plain: tuple[str, FastMCP]
) -> None:
    _url, mcp = plain
    await authorize(grants_app, "docs", "erin")
    with app_user("erin"):
        before = (await grants_app.gateway.call_tool("docs", "whoami")).text.split()[0]
        refresh_tokens = set(mcp.auth.refresh_tokens)  # type: ignore[union-attr]
        # The authorization server forgets the access token (expired early, say).
        del mcp.auth.access_tokens[issued_token(mcp, before)]  # type: ignore[union-attr]
        after = (await grants_app.gateway.call_tool("docs", "whoami")).text.split()[0]
    assert after != before
    rotated = set(mcp.auth.refresh_tokens)  # type: ignore[union-attr]
    assert rotated - refresh_tokens, "a new refresh token was issued"
    assert refresh_tokens - rotated, "the used refresh token is gone (rotation)"


async def test_a_token_near_expiry_is_refreshed_before_it_is_sent(
    plain: tuple[str, FastMCP],
) -> None:
    url, _mcp = plain
    port = free_port()
    gateway = Gateway(
        servers={"docs": Server(url, oauth=OAuth())},
        oauth=OAuthClient(
            redirect_uri=f"http://127.0.0.1:{port}/oauth/callback", refresh_margin=10**9
        ),
    )
    async with gateway, serve_app(gateway, port) as app_url:
        app = OAuthApp(gateway, app_url, url)
        await authorize(app, "docs", "frank")
        with app_user("frank"):
            seen = {(await gateway.call_tool("docs", "whoami")).text for _ in range(3)}
    assert len(seen) == 3, "each call found the token within the margin and refreshed it"


async def test_insufficient_scope_asks_again_for_the_larger_scope(grants_app: OAuthApp) -> None:
    first = await authorize(grants_app, "scoped", "grace")
    assert "scope=read&" in first.authorization_urls["scoped"] + "&"
    with app_user("grace"), pytest.raises(AuthorizationRequired) as step_up:
        await grants_app.gateway.call_tool("scoped", "whoami")
    link = step_up.value.authorization_urls["scoped"]
    assert "scope=read+write" in link
    page = await browse(link, user="grace", callback_prefix=grants_app.callback_prefix)
    assert page.status_code == 200
    with app_user("grace"):
        result = await grants_app.gateway.call_tool("scoped", "whoami")
    assert result.text.split()[1:] == ["read", "write"]


async def test_a_server_whose_metadata_names_another_resource_gets_no_link() -> None:
    port = free_port()
    mcp = FastMCP("elsewhere")
    from fastmcp.server.auth.providers.in_memory import InMemoryOAuthProvider

    base = f"http://127.0.0.1:{port}"
    # Misconfigured: its metadata says its tokens are for another resource on its host.
    mcp.auth = InMemoryOAuthProvider(base_url=base, resource_base_url=f"{base}/other/")
    server = ThreadedServer(mcp.http_app(path="/mcp"), port=port)
    server.start()
    try:
        gateway = app_for(free_port(), other=Server(f"{base}/mcp", oauth=OAuth()))
        async with gateway:
            with app_user("heidi"), pytest.raises(ResourceMismatch) as refused:
                await gateway.list_tools("other")
    finally:
        server.stop()
    assert refused.value.error == "resource_mismatch"
    assert not mcp.auth.clients, "nothing was registered, no authorization started"  # type: ignore[attr-defined]


async def test_disconnect_revokes_at_the_authorization_server_and_forgets(
    grants_app: OAuthApp, plain: tuple[str, FastMCP]
) -> None:
    url, mcp = plain
    await authorize(grants_app, "docs", "ivan")
    with app_user("ivan"):
        digest = (await grants_app.gateway.call_tool("docs", "whoami")).text.split()[0]
    token = issued_token(mcp, digest)
    assert await grants_app.gateway.disconnect("docs", user="ivan") is True
    assert token not in mcp.auth.access_tokens  # type: ignore[union-attr]
    async with httpx2.AsyncClient() as raw:
        refused = await raw.post(
            url,
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"authorization": f"Bearer {token}", "accept": "application/json"},
        )
    assert refused.status_code == 401
    with app_user("ivan"), pytest.raises(AuthorizationRequired):
        await grants_app.gateway.call_tool("docs", "whoami")
    assert await grants_app.gateway.disconnect("docs", user="ivan") is False
