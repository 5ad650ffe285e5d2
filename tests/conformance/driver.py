"""The conformance suite's client: ``python driver.py <server-url>``, public API only.

The suite runs this once per scenario with the scenario server's URL as the last
argument and the scenario's name in ``MCP_CONFORMANCE_SCENARIO``. It does what an app
does with the library: a :class:`~mcp_gateway_tools.Gateway` whose ``servers`` map
names that URL, ``list_tools``, then ``call_tool`` on every tool listed, with arguments
made from each tool's input schema. Form elicitation (the server asking the user for
input) is answered by the app's callback: here, accept with the schema's defaults,
which the library applies (SEP-1034) to the request it hands the callback.

The ``auth/*`` scenarios run as an app that is its users' OAuth client does
(``Server(url, oauth=OAuth(...))``, ``Gateway(oauth=OAuthClient(...))``, one app user
bound with ``app_user``): a call raises AuthorizationRequired with a link; the driver
plays the user's browser (follows the link's redirects with httpx until they reach
the app's redirect URI) and hands that callback URL to
``Gateway.complete_authorization``, as the app's callback route would; then it calls
again. Pre-registered credentials come from ``MCP_CONFORMANCE_CONTEXT``.

Exit status 0 when every call returned a result; 1 with the error's type on stderr
when the library raised (a typed error, never a hang or a crash).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

import httpx2

from mcp_gateway_tools import (
    Answer,
    AuthorizationRequired,
    Gateway,
    GatewayError,
    InputRequest,
    Server,
    ToolInfo,
    UserActionRequest,
    app_user,
)
from mcp_gateway_tools.oauth import OAuth, OAuthClient

SERVER = "conformance"
REDIRECT_URI = "http://127.0.0.1:9/oauth/callback"
"""The app's callback: the browser is stopped there and the URL handed to the library."""
CLIENT_METADATA_URL = "https://conformance-test.local/client-metadata.json"
"""The client ID metadata document URL the suite's ``basic-cimd`` scenario expects."""
APP_USER = "conformance-user"
MAX_AUTHORIZATIONS = 4


def answer(request: UserActionRequest) -> Answer | None:
    """The app's callback: accept a form as the schema's defaults fill it.

    ``Answer.accept()`` with no content: the library fills in every default the
    requested schema declares (SEP-1034). Anything else is left to the policy.
    """
    if isinstance(request, InputRequest):
        return Answer.accept()
    return None


def arguments_for(tool: ToolInfo) -> dict[str, Any]:
    """Plausible arguments for every property of the tool's input schema."""
    samples = {"number": 2, "integer": 3, "boolean": True, "string": "conformance"}
    properties = tool.input_schema.get("properties") or {}
    args: dict[str, Any] = {}
    for name, schema in properties.items():
        kind = schema.get("type") if isinstance(schema, dict) else None
        if isinstance(kind, str) and kind in samples:
            args[name] = samples[kind]
    return args


async def call_every_tool(gateway: Gateway) -> None:
    for tool in await gateway.list_tools(SERVER):
        result = await gateway.call_tool(SERVER, tool.name, arguments_for(tool))
        print(f"{tool.name}: is_error={result.is_error} {result.text}")


async def play_browser(link: str) -> str:
    """Open ``link`` as the user's browser would; the callback URL it is sent back to."""
    async with httpx2.AsyncClient(follow_redirects=False, timeout=60) as browser:
        url = link
        for _ in range(10):
            if url.startswith(REDIRECT_URI):
                return url
            response = await browser.get(url)
            location = response.headers.get("location")
            if location is None:
                raise RuntimeError(f"the authorization page answered {response.status_code}")
            url = str(httpx2.URL(url).join(location))
    raise RuntimeError("too many redirects")


async def drive_oauth(url: str) -> None:
    """An auth scenario: the app runs OAuth for its (one) user."""
    context = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
    oauth = OAuth(client_id=context.get("client_id"), client_secret=context.get("client_secret"))
    gateway = Gateway(
        servers={SERVER: Server(url, oauth=oauth)},
        oauth=OAuthClient(redirect_uri=REDIRECT_URI, client_metadata_url=CLIENT_METADATA_URL),
        on_interaction=answer,
        connect_timeout=60.0,
        call_timeout=60.0,
    )
    async with gateway:
        with app_user(APP_USER):
            for _ in range(MAX_AUTHORIZATIONS):
                try:
                    await call_every_tool(gateway)
                    return
                except AuthorizationRequired as needed:
                    link = needed.authorization_urls[SERVER]
                callback = await play_browser(link)
                await gateway.complete_authorization(callback, user=APP_USER)
            await call_every_tool(gateway)


async def drive(url: str) -> None:
    gateway = Gateway(
        servers={SERVER: url},
        token="conformance-client",
        on_interaction=answer,
        # Four scenarios start at once on a busy 2-core machine: no tight deadlines.
        connect_timeout=60.0,
        call_timeout=60.0,
    )
    async with gateway:
        await call_every_tool(gateway)


def main() -> int:
    url = sys.argv[-1]
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "?")
    try:
        asyncio.run(drive_oauth(url) if scenario.startswith("auth/") else drive(url))
    except GatewayError as exc:
        print(f"{scenario}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
