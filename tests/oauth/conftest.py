"""Module-scoped servers for the OAuth tests: one protected fastmcp server, one app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
import pytest_asyncio

from mcp_gateway_tools import Gateway, Server
from mcp_gateway_tools.oauth import OAuth, OAuthClient
from tests.oauth.servers import serve_app, serve_protected
from tests.support.serving import free_port


@dataclass
class OAuthApp:
    """The app under test: its Gateway, the callback's URL prefix, the server's URL."""

    gateway: Gateway
    app_url: str
    server_url: str

    @property
    def callback_prefix(self) -> str:
        return f"{self.app_url}/oauth/callback"


@pytest.fixture(scope="module")
def protected() -> Iterator[str]:
    with serve_protected() as (url, _mcp):
        yield url


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def oauth_app(protected: str) -> AsyncIterator[OAuthApp]:
    port = free_port()
    gateway = Gateway(
        servers={"docs": Server(protected, oauth=OAuth())},
        oauth=OAuthClient(redirect_uri=f"http://127.0.0.1:{port}/oauth/callback"),
    )
    async with gateway, serve_app(gateway, port) as app_url:
        yield OAuthApp(gateway, app_url, protected)
