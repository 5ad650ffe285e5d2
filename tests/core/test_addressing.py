"""Where each server is: the template, ``servers=`` aliases, and the checks on both."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastmcp import FastMCP
from fastmcp.server.dependencies import get_http_headers

from mcp_gateway_tools import ConfigurationError, Gateway, Server
from tests.support.serving import ThreadedServer, serve
from tests.support.through import Through


def plain_server(name: str) -> FastMCP:
    """A plain MCP server (no gateway in front) that says who it is and what it saw."""
    mcp = FastMCP(name)

    @mcp.tool
    def hello() -> str:
        """Say which server answered and the Authorization header it received."""
        seen = get_http_headers(include_all=True)
        return json.dumps({"server": name, "authorization": seen.get("authorization")})

    return mcp


@pytest.fixture(scope="module")
def docs_server() -> Iterator[ThreadedServer]:
    with serve(plain_server("docs").http_app(path="/mcp")) as server:
        yield server


@pytest.fixture(scope="module")
def wiki_server() -> Iterator[ThreadedServer]:
    # another URL shape: ContextForge's /servers/<uuid>/mcp
    with serve(plain_server("wiki").http_app(path="/servers/5f1c0d/mcp")) as server:
        yield server


def test_the_default_template_is_the_truefoundry_shape() -> None:
    gw = Gateway("https://gw.example.com/")
    assert gw.endpoint("mail") == "https://gw.example.com/mcp/mail/server"
    assert gw.default_server is None


def test_a_pasted_server_url_still_works_for_the_default_template() -> None:
    gw = Gateway("https://gw.example.com/mcp/mail/server")
    assert gw.base_url == "https://gw.example.com"
    assert gw.default_server == "mail"
    assert gw.endpoint() == "https://gw.example.com/mcp/mail/server"
    assert gw.server_name("https://gw.example.com/mcp/cal/server") == "cal"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{base}/mcp/{server}", "http://gw:4000/mcp/github"),  # LiteLLM
        ("{base}/{server}/mcp", "http://gw:4000/github/mcp"),  # LiteLLM, other route
        ("{base}/servers/{server}/mcp", "http://gw:4000/servers/github/mcp"),  # mcp-proxy
    ],
)
def test_endpoint_template_shapes_names_into_urls(template: str, expected: str) -> None:
    gw = Gateway("http://gw:4000", endpoint_template=template)
    assert gw.endpoint("github") == expected
    # a URL of the template's shape pasted as url gives the base and the default server
    pasted = Gateway(expected, endpoint_template=template)
    assert (pasted.base_url, pasted.default_server) == ("http://gw:4000", "github")


@pytest.mark.parametrize("name", ["../admin", "a/b", "x?y=1", "x#f", "", "-lead", "a b"])
def test_template_names_cannot_step_outside_their_place(name: str) -> None:
    gw = Gateway("http://gw:4000", endpoint_template="{base}/servers/{server}/mcp")
    with pytest.raises(ConfigurationError):
        gw.endpoint(name)


@pytest.mark.parametrize(
    "template",
    ["{base}/mcp", "{base}/{server}/{server}", "{base}/{base}/{server}", "{base}/{name}/{server}"],
)
def test_a_template_needs_server_once_and_no_other_placeholder(template: str) -> None:
    with pytest.raises(ConfigurationError, match="endpoint_template"):
        Gateway("http://gw:4000", endpoint_template=template)


async def test_servers_map_aliases_to_urls_of_any_shape_without_a_base_url(
    docs_server: ThreadedServer, wiki_server: ThreadedServer, through: Through
) -> None:
    servers = {
        "docs": f"{docs_server.url}/mcp",
        "wiki": Server(f"{wiki_server.url}/servers/5f1c0d/mcp"),
    }
    async with Gateway(servers=servers, token="svc-token") as gw:
        assert gw.servers == {"docs": f"{docs_server.url}/mcp", "wiki": servers["wiki"].url}
        for alias in ("docs", "wiki"):
            [tool] = await through.list_tools(gw, alias)
            assert tool.server == alias  # the alias, never the URL or the uuid
            answer = json.loads((await through.call_tool(gw, alias, "hello")).text)
            assert answer == {"server": alias, "authorization": "Bearer svc-token"}
        # a pasted alias URL resolves to its alias
        assert gw.server_name(f"{docs_server.url}/mcp/") == "docs"


async def test_one_alias_and_no_base_url_makes_it_the_default_server(
    docs_server: ThreadedServer, through: Through
) -> None:
    async with Gateway(servers={"docs": f"{docs_server.url}/mcp"}, token="svc-token") as gw:
        assert gw.default_server == "docs"
        assert json.loads((await through.call_tool(gw, None, "hello")).text)["server"] == "docs"


def test_aliases_and_the_template_work_side_by_side() -> None:
    gw = Gateway("https://gw.example.com", servers={"docs": "http://127.0.0.1:3001/mcp"})
    assert gw.endpoint("docs") == "http://127.0.0.1:3001/mcp"
    assert gw.endpoint("mail") == "https://gw.example.com/mcp/mail/server"


def test_an_unknown_name_without_a_base_url_lists_the_known_aliases() -> None:
    gw = Gateway(servers={"docs": "http://127.0.0.1:3001/mcp", "wiki": "http://127.0.0.1:3002/mcp"})
    with pytest.raises(ConfigurationError, match=r"known aliases: docs, wiki"):
        gw.endpoint("mail")
    with pytest.raises(ConfigurationError, match=r"Name a server.*docs, wiki"):
        gw.endpoint()
    with pytest.raises(ConfigurationError, match="not on this gateway"):
        gw.server_name("http://127.0.0.1:9999/mcp")


def test_no_url_and_no_servers_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match=r"servers=\{"):
        Gateway()


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("/mcp", "absolute"),
        ("ftp://host/mcp", "absolute"),
        ("http:///mcp", "absolute"),
        ("http://host/ mcp", "whitespace"),
        ("http://host/m\r\ncp", "whitespace"),
        ("http://host:99999/mcp", "not a valid URL"),
    ],
)
def test_server_urls_are_checked_at_construction(url: str, why: str) -> None:
    with pytest.raises(ConfigurationError, match=why) as caught:
        Gateway(servers={"docs": url})
    assert "'docs'" in str(caught.value)


def test_a_server_url_with_a_password_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigurationError, match="user name or password") as caught:
        Gateway(servers={"docs": "https://bob:hunter2@host/mcp"})
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize("alias", ["a/b", "../x", "", "has space", 3])
def test_aliases_are_valid_server_names(alias: object) -> None:
    with pytest.raises(ConfigurationError, match="alias"):
        Gateway(servers={alias: "http://127.0.0.1:3001/mcp"})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    "option",
    [{"headers": {}}, {"url": "http://h/mcp", "extra": 1}, 42, ["http://h/mcp"]],
)
def test_a_malformed_servers_entry_says_what_is_expected(option: object) -> None:
    with pytest.raises(ConfigurationError, match=r"servers\['docs'\]"):
        Gateway(servers={"docs": option})  # type: ignore[dict-item]
