"""What reaches a downstream server: only the credential meant for it, never the caller's."""

from __future__ import annotations

from typing import Any

from fastmcp import FastMCP
from fastmcp.server.dependencies import get_http_headers

from mcp_gateway_tools.devgateway import DEFAULT_CONFIG_TOML, DevGateway, parse_config
from tests.support.serving import serve

from .helpers import call, headers


def _echo_server() -> Any:
    mcp: FastMCP = FastMCP("Echo")

    @mcp.tool
    def echo_headers() -> dict[str, str]:
        """Every header this server received."""
        return get_http_headers(include_all=True)

    return mcp.http_app(path="/mcp", stateless_http=True, json_response=True)


def test_caller_token_never_reaches_downstream(http: Any) -> None:
    with serve(_echo_server()) as echo:
        text = (
            DEFAULT_CONFIG_TOML
            + f"""
[servers.echo]
url = "{echo.url}/mcp"
accounts = ["*"]
auth = {{ type = "static", headers = {{ X-Echo-Key = "echo-secret" }} }}

[servers.echo_open]
url = "{echo.url}/mcp"
accounts = ["*"]

[virtual_servers.mixed]
accounts = ["*"]
tools = ["echo.echo_headers", "mail.mail_whoami"]
"""
        )
        with DevGateway(parse_config(text)) as gw:
            gw.consent("alice", "mail")
            for server, token in [
                ("echo", gw.tokens.user("alice")),
                ("echo", gw.tokens.service),
                ("echo_open", gw.issue_jwt("bob")),
                ("mixed", gw.tokens.user("alice")),
            ]:
                resp = http.post(gw.url(server), json=call("echo_headers"), headers=headers(token))
                seen = resp.json()["result"]["structuredContent"]
                assert token not in str(seen)
                assert "authorization" not in seen
                expected = "echo-secret" if server != "echo_open" else None
                assert seen.get("x-echo-key") == expected
