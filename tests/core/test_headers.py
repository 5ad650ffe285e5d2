"""Extra request headers: static, per server, or per call; never Authorization.

A real fastmcp upstream echoes the headers it receives, so each test shows what
reached the server, and which session (identity) carried it.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
from collections.abc import Iterator, Mapping

import pytest
from fastmcp import FastMCP
from fastmcp.server.dependencies import get_http_headers

from mcp_gateway_tools import ConfigurationError, Gateway, Server, user_token
from tests.support.serving import ThreadedServer, serve
from tests.support.through import Through


def header_echo() -> FastMCP:
    mcp = FastMCP("echo-headers")

    @mcp.tool
    def seen() -> str:
        """Return the request headers this server received (lower-cased names)."""
        return json.dumps(get_http_headers(include_all=True))

    return mcp


@pytest.fixture(scope="module")
def header_echo_server() -> Iterator[ThreadedServer]:
    with serve(header_echo().http_app(path="/mcp")) as server:
        yield server


async def seen(gw: Gateway, server: str = "up", **kwargs: object) -> dict[str, str]:
    return dict(json.loads((await gw.call_tool(server, "seen", **kwargs)).text))  # type: ignore[arg-type]


async def test_static_headers_reach_every_server(header_echo_server: ThreadedServer) -> None:
    servers = {"up": f"{header_echo_server.url}/mcp", "other": f"{header_echo_server.url}/mcp/"}
    async with Gateway(servers=servers, token="svc", headers={"X-Team": "blue"}) as gw:
        for alias in servers:
            got = await seen(gw, alias)
            assert got["x-team"] == "blue"
            assert got["authorization"] == "Bearer svc"


async def test_per_server_headers_add_to_and_override_the_static_ones(
    header_echo_server: ThreadedServer,
) -> None:
    servers = {
        "up": Server(f"{header_echo_server.url}/mcp", headers={"x-team": "red", "X-Extra": "1"}),
        "plain": {"url": f"{header_echo_server.url}/mcp/", "headers": {"x-only": "plain"}},
    }
    async with Gateway(servers=servers, token="svc", headers={"X-Team": "blue"}) as gw:
        up = await seen(gw, "up")
        assert (up["x-team"], up["x-extra"]) == ("red", "1")
        plain = await seen(gw, "plain")
        assert (plain["x-team"], plain["x-only"]) == ("blue", "plain")
        assert "x-extra" not in plain


current_user_credential: contextvars.ContextVar[str] = contextvars.ContextVar("cred")


async def test_a_header_provider_runs_per_call_in_the_callers_context(
    header_echo_server: ThreadedServer,
) -> None:
    """LiteLLM's per-user upstream credential: ``x-mcp-<alias>-authorization``."""
    asked: list[str] = []

    async def per_user(alias: str) -> Mapping[str, str]:
        asked.append(alias)
        return {f"x-mcp-{alias}-authorization": f"Bearer {current_user_credential.get()}"}

    async with Gateway(servers={"up": f"{header_echo_server.url}/mcp"}, headers=per_user) as gw:

        async def as_user(name: str) -> dict[str, str]:
            current_user_credential.set(f"upstream-{name}")
            with user_token(f"gw-{name}"):
                return await seen(gw)

        results = await asyncio.gather(*(as_user(n) for n in ["alice", "bob"] * 5))
        for name, got in zip(["alice", "bob"] * 5, results, strict=True):
            assert got["x-mcp-up-authorization"] == f"Bearer upstream-{name}"
            assert got["authorization"] == f"Bearer gw-{name}"
        assert asked == ["up"] * 10
        assert gw.sessions_opened() == 2


async def test_one_token_with_different_headers_never_shares_a_session(
    header_echo_server: ThreadedServer,
) -> None:
    """The pool key is (endpoint, HMAC over token + headers)."""
    value: contextvars.ContextVar[str] = contextvars.ContextVar("value")

    async with Gateway(
        servers={"up": f"{header_echo_server.url}/mcp"},
        token="shared-service-token",
        headers=lambda alias: {"x-user": value.get()},
    ) as gw:
        value.set("u1")
        assert (await seen(gw))["x-user"] == "u1"
        value.set("u2")
        assert (await seen(gw))["x-user"] == "u2"
        value.set("u1")
        assert (await seen(gw))["x-user"] == "u1"
        assert gw.sessions_opened() == 2
        value.set("u1")
        one = await gw.acredential(server="up")
        value.set("u2")
        two = await gw.acredential(server="up")
        assert one.fingerprint == two.fingerprint  # the same token...
        assert one.identity != two.identity  # ...but not the same identity
        assert len(one.identity) == 64


@pytest.mark.parametrize("name", ["Authorization", "authorization", "AUTHORIZATION"])
def test_authorization_can_never_be_set_through_headers(name: str) -> None:
    with pytest.raises(ConfigurationError, match="Authorization header cannot be set"):
        Gateway("http://127.0.0.1:9", headers={name: "Bearer other"})
    with pytest.raises(ConfigurationError, match="Authorization header cannot be set"):
        Gateway(servers={"x": Server("http://127.0.0.1:9/mcp", headers={name: "Bearer other"})})


async def test_a_provider_cannot_set_authorization_either(
    header_echo_server: ThreadedServer, through: Through
) -> None:
    async with Gateway(
        servers={"up": f"{header_echo_server.url}/mcp"},
        token="svc",
        headers=lambda alias: {"authorization": "Bearer stolen"},
    ) as gw:
        with pytest.raises(ConfigurationError, match="Authorization header cannot be set"):
            await through.call_tool(gw, "up", "seen")
        assert gw.sessions_opened() == 0  # refused before anything was sent


@pytest.mark.parametrize(
    "headers",
    [
        {"x-evil": "v\r\nX-Injected: 1"},
        {"x-evil": "line\nbreak"},
        {"x-evil": "caf\u00e9"},
        {"x-evil": 42},
        {"bad name": "v"},
        {"x-a": "1", "X-A": "2"},
        {"Mcp-Session-Id": "fixed"},
        {"Host": "elsewhere"},
    ],
)
def test_header_names_and_values_are_validated(headers: Mapping[str, object]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Gateway("http://127.0.0.1:9", headers=headers)  # type: ignore[arg-type]
    assert "X-Injected" not in str(caught.value)
    assert "caf" not in str(caught.value)


async def test_header_values_are_never_logged(
    header_echo_server: ThreadedServer, caplog: pytest.LogCaptureFixture, through: Through
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "upstream-secret-value-77"
    async with Gateway(
        servers={"up": f"{header_echo_server.url}/mcp"},
        token="svc",
        headers={"x-mcp-up-authorization": secret},
        max_sessions=1,
    ) as gw:
        assert (await seen(gw))["x-mcp-up-authorization"] == secret
        await seen(gw, token="another-user")  # evicts the first session
        await through.list_tools(gw, "up")
        assert secret not in repr(await gw.acredential(server="up"))
        assert secret not in repr(gw)
    assert caplog.records, "expected debug records to scan"
    assert not [r for r in caplog.records if secret in r.getMessage()]


def test_headers_of_the_wrong_type_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="headers="):
        Gateway("http://127.0.0.1:9", headers=["x-a: 1"])  # type: ignore[arg-type]
