"""Whose token a call carries: explicit > user_token() > service token, failing closed."""

from __future__ import annotations

import asyncio
import threading

import pytest
from pydantic import SecretStr

from mcp_gateway_tools import Gateway, MissingUserToken, bound_user_token, user_token
from tests.support.faultgateway import FaultGateway
from tests.support.serving import ThreadedServer


def test_user_token_binding_is_scoped_to_the_block() -> None:
    assert bound_user_token() is None
    with user_token("outer-token"):
        with user_token("inner-token"):
            assert bound_user_token() == SecretStr("inner-token")
        assert bound_user_token() == SecretStr("outer-token")
    assert bound_user_token() is None


async def test_user_token_follows_tasks_spawned_inside_and_isolates_concurrent_ones() -> None:
    async def seen_after_yield(token: str) -> str | None:
        with user_token(token):
            await asyncio.sleep(0.01)
            inner = asyncio.create_task(_read_bound())
            return await inner

    results = await asyncio.gather(*(seen_after_yield(f"user-{i}") for i in range(20)))
    assert results == [f"user-{i}" for i in range(20)]


async def _read_bound() -> str | None:
    await asyncio.sleep(0)
    bound = bound_user_token()
    return bound.get_secret_value() if bound else None


def test_user_token_is_per_thread() -> None:
    seen: dict[int, str | None] = {}

    def worker(i: int) -> None:
        with user_token(f"thread-{i}"):
            barrier.wait()
            bound = bound_user_token()
            seen[i] = bound.get_secret_value() if bound else None

    barrier = threading.Barrier(8)
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {i: f"thread-{i}" for i in range(8)}


def test_resolution_order_explicit_then_bound_then_service() -> None:
    gw = Gateway("http://127.0.0.1:9", token="service-token")
    assert gw.credential().source == "service"
    with user_token("bound-token"):
        assert gw.credential().source == "bound"
        assert gw.credential("explicit-token").source == "call"
        assert gw.credential().secret.get_secret_value() == "bound-token"


def test_missing_token_names_the_three_ways_to_bind_one() -> None:
    gw = Gateway("http://127.0.0.1:9")
    with pytest.raises(MissingUserToken) as caught:
        gw.credential()
    message = str(caught.value)
    assert "user_token" in message
    assert "config['configurable']" in message
    assert "Gateway(url, token=" in message


@pytest.mark.parametrize("bad", ["", "   ", "Bearer "])
def test_empty_tokens_are_refused_as_missing(bad: str) -> None:
    gw = Gateway("http://127.0.0.1:9")
    with pytest.raises(MissingUserToken):
        gw.credential(bad)


async def test_bound_user_token_wins_over_the_service_token_on_the_wire(
    fault_server: ThreadedServer, fault_gateway: FaultGateway
) -> None:
    async with Gateway(fault_server.url, token="service-token-1") as gw:
        assert (await gw.call_tool("echo", "whoami")).text == "Bearer service-token-1"
        with user_token("user-token-2"):
            assert (await gw.call_tool("echo", "whoami")).text == "Bearer user-token-2"
        assert (await gw.call_tool("echo", "whoami", token="Bearer user-token-3")).text == (
            "Bearer user-token-3"
        )


def test_full_server_url_from_the_gateway_ui_is_accepted() -> None:
    gw = Gateway("https://gw.example.com/mcp/mail/server")
    assert gw.base_url == "https://gw.example.com"
    assert gw.default_server == "mail"
    assert gw.endpoint() == "https://gw.example.com/mcp/mail/server"
    assert gw.endpoint("https://gw.example.com/mcp/calendar/server") == (
        "https://gw.example.com/mcp/calendar/server"
    )


@pytest.mark.parametrize(
    "name", ["../admin", "a/b", "", "x?y=1", "https://evil.example.com/mcp/a/server"]
)
def test_server_names_that_could_escape_the_path_are_refused(name: str) -> None:
    from mcp_gateway_tools import ConfigurationError

    with pytest.raises(ConfigurationError):
        Gateway("https://gw.example.com").endpoint(name)
