"""The baseline: a plain fastmcp client for the suite's auth scenarios (``python
fastmcp_driver.py <server-url>``), measured beside ``driver.py`` in one run.

It is what a fastmcp user writes (``Client(url, auth=OAuth(...))``), with the
browser step played by httpx instead of ``webbrowser.open`` and the local callback
server: the redirect handler follows the authorization link to the redirect URI and
the callback handler returns its code and state. Pre-registered credentials come from
``MCP_CONFORMANCE_CONTEXT``, the CIMD URL is the one the suite expects.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from urllib.parse import parse_qs, urlsplit

import httpx2
from fastmcp import Client
from fastmcp.client.auth import OAuth
from mcp.shared.auth import AuthorizationCodeResult

CLIENT_METADATA_URL = "https://conformance-test.local/client-metadata.json"


class BrowserPlayingOAuth(OAuth):
    """fastmcp's OAuth with the browser and the callback server played in-process."""

    _callback: str | None = None

    async def redirect_handler(self, authorization_url: str) -> None:
        redirect = str(self.context.client_metadata.redirect_uris[0])  # type: ignore[index]
        async with httpx2.AsyncClient(follow_redirects=False, timeout=60) as browser:
            url = authorization_url
            for _ in range(10):
                if url.startswith(redirect.rstrip("/")):
                    self._callback = url
                    return
                response = await browser.get(url)
                url = str(httpx2.URL(url).join(response.headers["location"]))
        raise RuntimeError("the authorization link did not come back to the redirect URI")

    async def callback_handler(self) -> AuthorizationCodeResult:
        assert self._callback is not None
        query = {k: v[0] for k, v in parse_qs(urlsplit(self._callback).query).items()}
        return AuthorizationCodeResult(code=query["code"], state=query.get("state"))


async def drive(url: str) -> None:
    context = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
    auth = BrowserPlayingOAuth(
        client_metadata_url=CLIENT_METADATA_URL,
        client_id=context.get("client_id"),
        client_secret=context.get("client_secret"),
    )
    async with Client(url, auth=auth) as client:
        for tool in await client.list_tools():
            await client.call_tool(tool.name, {})


def main() -> int:
    try:
        asyncio.run(drive(sys.argv[-1]))
    except Exception as exc:  # the baseline: any failure is a failure
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
