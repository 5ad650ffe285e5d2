"""The app under test for the end-to-end OAuth tests: its Gateway and callback route.

The Gateway is each app user's OAuth client for the dev gateway's OAuth-protected
``calendar`` (``mcp_oauth_dev``); the callback route runs in this module's event loop,
and knows the signed-in app user from a header (a real app: its session cookie).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest_asyncio
from key_value.aio.stores.memory import MemoryStore

from mcp_gateway_tools import Gateway, Server
from mcp_gateway_tools.devgateway import BrowserConsent, DevGateway
from mcp_gateway_tools.oauth import OAuth, OAuthClient
from mcp_gateway_tools.oauth._records import Records
from tests.oauth.servers import USER_HEADER, serve_app
from tests.support.serving import free_port


@dataclass
class OAuthE2E:
    dev: DevGateway
    gateway: Gateway
    app_url: str
    store: MemoryStore

    async def secrets_of(self, user: str) -> list[str]:
        """The access and refresh token the app holds for ``user`` (to scan for)."""
        grant = await Records(self.store).get_grant(user, self.dev.oauth_server_url("calendar"))
        assert grant is not None
        return [grant.access_token, grant.refresh_token or grant.access_token]

    async def consent(self, link: str, person: str, *, app_user: str) -> BrowserConsent:
        """``person`` opens ``link`` in the browser in which ``app_user`` is signed in to
        the app: sign in at the authorization server, approve, back to the callback."""
        return await self.dev.abrowser_consent(
            link, person, callback_headers={USER_HEADER: app_user}
        )


@asynccontextmanager
async def oauth_app(dev: DevGateway) -> AsyncIterator[OAuthE2E]:
    """A new app (its own Gateway, OAuth client state and callback route) for ``dev``."""
    port = free_port()
    store = MemoryStore()
    gateway = Gateway(
        servers={"calendar": Server(dev.oauth_server_url("calendar"), oauth=OAuth())},
        oauth=OAuthClient(
            redirect_uri=f"http://127.0.0.1:{port}/oauth/callback",
            client_name="E2E App",
            store=store,
        ),
    )
    async with gateway, serve_app(gateway, port) as app_url:
        yield OAuthE2E(dev, gateway, app_url, store)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def e2e(mcp_oauth_dev: DevGateway) -> AsyncIterator[OAuthE2E]:
    async with oauth_app(mcp_oauth_dev) as app:
        yield app
