"""A gateway key in Authorization and the user's OAuth token in a per-server header.

LiteLLM's shape (DESIGN §2): the caller authenticates to the gateway with its key;
the user's upstream token rides in ``x-mcp-<alias>-authorization``. Here a small ASGI
front does what such a gateway does with the two headers (refuses without the key,
hands the per-server header on as Authorization) in front of the real fastmcp server
and its authorization server.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from fastmcp import FastMCP

from mcp_gateway_tools import AuthorizationRequired, Gateway, Server, app_user
from mcp_gateway_tools.oauth import OAuth, OAuthClient
from tests.oauth.conftest import OAuthApp
from tests.oauth.servers import browse, protected_server, serve_app
from tests.support.serving import ThreadedServer, free_port

pytestmark = pytest.mark.asyncio(loop_scope="module")

KEY = "gateway-key-123"
HEADER = "x-mcp-docs-authorization"


def gateway_front(app: Any) -> Any:
    """Refuse without the gateway key; pass the user's token on as Authorization."""

    async def front(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/mcp"):
            await app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if headers.get(b"authorization") != f"Bearer {KEY}".encode():
            body = json.dumps({"detail": "Unauthorized"}).encode()
            await send({"type": "http.response.start", "status": 401, "headers": []})
            await send({"type": "http.response.body", "body": body})
            return
        passed = [
            (k, v) for k, v in scope["headers"] if k not in (b"authorization", HEADER.encode())
        ]
        if HEADER.encode() in headers:
            passed.append((b"authorization", headers[HEADER.encode()]))
        await app({**scope, "headers": passed}, receive, send)

    return front


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def keyed_app() -> AsyncIterator[tuple[OAuthApp, FastMCP]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    mcp = protected_server(base)
    server = ThreadedServer(gateway_front(mcp.http_app(path="/mcp")), port=port)
    server.start()
    app_port = free_port()
    gateway = Gateway(
        servers={"docs": Server(f"{base}/mcp", oauth=OAuth(header=HEADER))},
        token=KEY,
        oauth=OAuthClient(redirect_uri=f"http://127.0.0.1:{app_port}/oauth/callback"),
    )
    try:
        async with gateway, serve_app(gateway, app_port) as app_url:
            yield OAuthApp(gateway, app_url, f"{base}/mcp"), mcp
    finally:
        server.stop()


async def test_the_key_stays_in_authorization_and_each_users_token_in_the_header(
    keyed_app: tuple[OAuthApp, FastMCP],
) -> None:
    app, _mcp = keyed_app
    seen = {}
    for user in ("kim", "lee"):
        with app_user(user), pytest.raises(AuthorizationRequired) as raised:
            await app.gateway.call_tool("docs", "whoami")
        link = raised.value.authorization_urls["docs"]
        assert (
            await browse(link, user=user, callback_prefix=app.callback_prefix)
        ).status_code == 200
        with app_user(user):
            seen[user] = (await app.gateway.call_tool("docs", "whoami")).text
    assert seen["kim"].split()[0] != seen["lee"].split()[0], "each user's own token"
    assert KEY not in "".join(seen.values())
