"""An app that is its users' OAuth client, end to end, offline.

Run it with ``python examples/oauth_app.py``. It starts an OAuth-protected MCP server
(fastmcp with its own authorization server: protected-resource metadata, dynamic
registration, PKCE), the app (a Starlette app that mounts the library's callback
route), and a LangChain agent whose tools call the server as the app's user "alice":

1. the first run answers with a consent link made for Alice (discovered, registered
   and signed with PKCE by the library), shown to the model and the UI as usual;
2. Alice "opens" it (httpx plays her browser: the authorization server redirects to
   the app's callback, which stores her grant);
3. the same question again: the tool now runs with Alice's own token.

The scripted chat model stands in for a real one (no API key needed).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import uvicorn
from fastmcp import FastMCP
from fastmcp.server.auth.providers.in_memory import InMemoryOAuthProvider
from fastmcp.server.dependencies import get_access_token
from langchain.agents import create_agent
from mcp.server.auth.settings import ClientRegistrationOptions
from starlette.applications import Starlette
from starlette.requests import Request

from mcp_gateway_tools import Gateway, Server
from mcp_gateway_tools.langchain import GatewayToolkit
from mcp_gateway_tools.langchain.testing import scripted_chat_model
from mcp_gateway_tools.oauth import OAuth, OAuthClient, app_user, callback_route


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def docs_server(base: str) -> FastMCP:
    """The OAuth-protected MCP server (someone else's, in real life)."""
    auth = InMemoryOAuthProvider(
        base_url=base,
        client_registration_options=ClientRegistrationOptions(enabled=True),
    )
    mcp = FastMCP("docs", auth=auth)

    @mcp.tool
    def search_docs(query: str) -> str:
        """Search the team's documents."""
        token = get_access_token()
        return f"3 documents about {query!r} (for client {token.client_id if token else '?'})"

    return mcp


def signed_in_user(request: Request) -> str | None:
    """Who is signed in to the app: a real app reads its session cookie here."""
    return request.headers.get("x-demo-user")


@asynccontextmanager
async def serve(app: Any, port: int) -> AsyncIterator[None]:
    """Serve ``app`` on 127.0.0.1:``port`` in this event loop while the block runs."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error")
    server = uvicorn.Server(config)
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn sets a flag, not an event
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await task


async def open_in_browser(link: str, user: str) -> int:
    """Alice's browser: the authorization page redirects to the app's callback."""
    async with httpx2.AsyncClient(follow_redirects=False) as browser:
        back = (await browser.get(link)).headers["location"]  # consent given at once here
        return (await browser.get(back, headers={"x-demo-user": user})).status_code


async def main() -> str:
    server_port, app_port = free_port(), free_port()
    base = f"http://127.0.0.1:{server_port}"
    gateway = Gateway(
        servers={"docs": Server(f"{base}/mcp", oauth=OAuth())},
        oauth=OAuthClient(redirect_uri=f"http://127.0.0.1:{app_port}/oauth/callback"),
    )
    app = Starlette(routes=[callback_route(gateway, signed_in_user)])
    async with (
        serve(docs_server(base).http_app(path="/mcp"), server_port),
        serve(app, app_port),
        gateway,
    ):
        toolkit = GatewayToolkit(gateway, ["docs"])
        question = {"messages": [{"role": "user", "content": "Docs about VPN?"}]}
        with app_user("alice"):  # per request, from the app's session
            # Nobody has authorized "docs" yet: its one tool asks for authorization.
            tools = await toolkit.aget_tools()
            model = scripted_chat_model(("authorize_docs", {}))
            first = await create_agent(model, tools).ainvoke(question)
            link = first["messages"][-2].artifact["authorization_urls"]["docs"]
            print(f"The agent asks Alice to authorize: {link[:60]}...")
            status = await open_in_browser(link, "alice")
            print(f"Alice opens it; the app's callback answers {status}")

            tools = await toolkit.aget_tools(refresh=True)  # her grant lists the tools
            model = scripted_chat_model(("search_docs", {"query": "vpn"}))
            second = await create_agent(model, tools).ainvoke(question)
            answer: str = second["messages"][-2].text
            print(answer)
            return answer


if __name__ == "__main__":
    asyncio.run(main())
