"""A real OAuth-protected MCP server, the app's callback server, and a browser.

The server is fastmcp with its own authorization server (``InMemoryOAuthProvider``:
RFC 9728 protected-resource metadata, RFC 8414 metadata, dynamic registration, PKCE,
refresh with rotation, RFC 7009 revocation), on 127.0.0.1 in a thread. The app is a
Starlette app serving the library's callback route, run by uvicorn in the test's own
event loop (the Gateway's loop). :func:`browse` plays the user's browser: it opens the
authorization link and follows the redirect to the app's callback, signed in as a user.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import httpx2
import uvicorn
from fastmcp import FastMCP
from fastmcp.server.auth.providers.in_memory import InMemoryOAuthProvider
from fastmcp.server.dependencies import get_access_token
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions
from starlette.applications import Starlette
from starlette.requests import Request

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.oauth import callback_route
from tests.support.serving import ThreadedServer, free_port
from tests.support.timing import scaled

USER_HEADER = "x-signed-in-user"
"""How the test app knows who is signed in (a real app reads its session cookie)."""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def protected_server(base: str, *, required_scopes: list[str] | None = None) -> FastMCP:
    """fastmcp behind its own authorization server; tools say whose token they got."""
    auth = InMemoryOAuthProvider(
        base_url=base,
        client_registration_options=ClientRegistrationOptions(
            enabled=True, valid_scopes=["read", "write"], default_scopes=["read"]
        ),
        revocation_options=RevocationOptions(enabled=True),
        required_scopes=required_scopes,
    )
    mcp = FastMCP("docs", auth=auth)

    @mcp.tool
    def whoami() -> str:
        """The digest of the access token this call carried, and its scopes."""
        token = get_access_token()
        assert token is not None
        return f"{token_digest(token.token)} {' '.join(sorted(token.scopes))}"

    return mcp


@contextmanager
def serve_protected(*, required_scopes: list[str] | None = None) -> Iterator[tuple[str, FastMCP]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    mcp = protected_server(base, required_scopes=required_scopes)
    server = ThreadedServer(mcp.http_app(path="/mcp"), port=port)
    server.start()
    try:
        yield f"{base}/mcp", mcp
    finally:
        server.stop()


def signed_in_user(request: Request) -> str | None:
    return request.headers.get(USER_HEADER)


@asynccontextmanager
async def serve_app(gateway: Gateway, port: int) -> AsyncIterator[str]:
    """The app's callback route, served in this event loop at ``http://127.0.0.1:port``."""
    app = Starlette(routes=[callback_route(gateway, signed_in_user, path="/oauth/callback")])
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(scaled(10)):
        while not server.started:  # noqa: ASYNC110 - uvicorn sets a flag, not an event
            await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def browse(link: str, *, user: str, callback_prefix: str) -> httpx2.Response:
    """Play the user's browser: open ``link``, follow redirects to the app's callback.

    The authorization server's redirects are followed without the app's sign-in; the
    callback request carries ``user``'s sign-in, as the app's session cookie would.
    """
    async with httpx2.AsyncClient(follow_redirects=False, timeout=scaled(20)) as browser:
        url = link
        for _ in range(10):
            if url.startswith(callback_prefix):
                return await browser.get(url, headers={USER_HEADER: user})
            response = await browser.get(url)
            if response.status_code not in (301, 302, 303, 307, 308):
                raise AssertionError(f"the authorization page answered {response.status_code}")
            url = str(httpx2.URL(url).join(response.headers["location"]))
    raise AssertionError("too many redirects")


async def callback_url(link: str, *, callback_prefix: str) -> str:
    """Where the authorization server sends the browser back (the callback URL)."""
    async with httpx2.AsyncClient(follow_redirects=False, timeout=scaled(20)) as browser:
        url = link
        while not url.startswith(callback_prefix):
            response = await browser.get(url)
            assert response.status_code in (302, 303, 307), response.status_code
            url = str(httpx2.URL(url).join(response.headers["location"]))
    return url
