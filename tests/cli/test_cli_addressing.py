"""``--endpoint-template`` and ``--server-url NAME=URL`` (and their variables), via main()."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator

import pytest
from fastmcp import FastMCP
from fastmcp.server.dependencies import get_http_headers
from starlette.applications import Starlette
from starlette.routing import Mount

from mcp_gateway_tools.cli import EXIT_OK, EXIT_USAGE, main
from tests.support.serving import ThreadedServer, serve

pytestmark = pytest.mark.usefixtures("clean_env")  # no gateway settings from the shell

TOKEN = "cli-token-1234"


def plain(name: str) -> FastMCP:
    mcp = FastMCP(name)

    @mcp.tool
    def hello() -> str:
        """Say which server answered and whose token it saw."""
        seen = get_http_headers(include_all=True).get("authorization")
        return json.dumps({"server": name, "authorization": seen})

    return mcp


@pytest.fixture(scope="module")
def servers() -> Iterator[ThreadedServer]:
    """Two servers in the mcp-proxy shape, ``/servers/<name>/mcp``."""
    docs = plain("docs").http_app(path="/mcp")
    wiki = plain("wiki").http_app(path="/mcp")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with docs.lifespan(app), wiki.lifespan(app):
            yield

    app = Starlette(
        routes=[Mount("/servers/docs", app=docs), Mount("/servers/wiki", app=wiki)],
        lifespan=lifespan,
    )
    with serve(app) as server:
        yield server


def test_endpoint_template_reaches_servers_of_another_shape(
    servers: ThreadedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "call",
            "wiki",
            "hello",
            "--url",
            servers.url,
            "--endpoint-template",
            "{base}/servers/{server}/mcp",
            "--token",
            TOKEN,
            "--json",
        ]
    )
    out = capsys.readouterr().out
    assert code == EXIT_OK, out
    assert json.loads(json.loads(out)["content"][0]["text"])["server"] == "wiki"


def test_server_url_needs_no_base_url(
    servers: ThreadedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "tools",
            "docs",
            "manual",
            "--server-url",
            f"docs={servers.url}/servers/docs/mcp",
            "--server-url",
            f"manual={servers.url}/servers/wiki/mcp",
            "--token",
            TOKEN,
            "--json",
        ]
    )
    listings = json.loads(capsys.readouterr().out)
    assert code == EXIT_OK
    assert [(item["server"], item["status"]) for item in listings] == [
        ("docs", "ok"),
        ("manual", "ok"),
    ]
    assert listings[1]["tools"][0]["name"] == "hello"


def test_the_environment_variables_do_the_same(
    servers: ThreadedServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCP_GATEWAY_TOKEN", TOKEN)
    monkeypatch.setenv("MCP_GATEWAY_SERVERS", f"docs={servers.url}/servers/docs/mcp")
    assert main(["call", "docs", "hello"]) == EXIT_OK
    assert '"server": "docs"' in capsys.readouterr().out
    monkeypatch.delenv("MCP_GATEWAY_SERVERS")
    monkeypatch.setenv("MCP_GATEWAY_URL", servers.url)
    monkeypatch.setenv("MCP_GATEWAY_ENDPOINT_TEMPLATE", "{base}/servers/{server}/mcp")
    assert main(["call", "wiki", "hello"]) == EXIT_OK
    assert '"server": "wiki"' in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["--server-url", "no-equals-sign"],
        ["--server-url", "docs=relative/path"],
        ["--server-url", "a=http://h/mcp", "--server-url", "a=http://h/other"],
        ["--url", "http://127.0.0.1:9", "--endpoint-template", "{base}/no-server"],
    ],
)
def test_bad_addressing_options_are_usage_errors(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["call", "docs", "hello", "--token", TOKEN, *argv]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.strip()
    assert "Traceback" not in err
