"""Every answer a gateway can give becomes a result or one typed error."""

from __future__ import annotations

import time

import pytest

from mcp_gateway_tools import (
    AccessDenied,
    AuthorizationRequired,
    Gateway,
    GatewayError,
    GatewayTimeout,
    GatewayUnavailable,
    InvalidAuthorizationUrl,
    InvalidToken,
    ProtocolError,
    RateLimited,
    UnknownServer,
)
from tests.support.faultgateway import FaultGateway
from tests.support.serving import ThreadedServer, free_port
from tests.support.through import Through
from tests.support.timing import scaled

ALICE = "alice-token-0123456789"
SESSION_OPENERS = ("initialize", "server/discover")  # the legacy and the modern handshake


async def test_consent_401_becomes_authorization_required_with_links_and_names(
    fault_client: Gateway, fault_server: ThreadedServer, through: Through
) -> None:
    with pytest.raises(AuthorizationRequired) as caught:
        await through.call_tool(fault_client, "consent", "whoami", token=ALICE)
    exc = caught.value
    assert exc.authorization_urls == {"consent": f"{fault_server.url}/consent/consent?user=someone"}
    assert exc.server_names == {"consent": "Consent Mail"}
    assert exc.to_observation() == {
        "type": "authorization_required",
        "authorization_urls": exc.authorization_urls,
        "server_names": exc.server_names,
        "message": "You need to authorize Consent Mail before using it.",
        "links": [
            {
                "server": "consent",
                "name": "Consent Mail",
                "url": exc.authorization_urls["consent"],
                "same_origin": True,
            }
        ],
        "omitted_links": 0,
    }
    assert "Consent Mail: http://" in exc.render_text()


async def test_same_call_succeeds_after_consent_with_no_client_change(
    fault_client: Gateway, fault_gateway: FaultGateway, through: Through
) -> None:
    with pytest.raises(AuthorizationRequired):
        await through.list_tools(fault_client, "consent", token=ALICE)
    fault_gateway.consented.add(f"Bearer {ALICE}")
    tools = await through.list_tools(fault_client, "consent", token=ALICE)
    result = await through.call_tool(fault_client, "consent", "whoami", token=ALICE)
    assert "whoami" in {t.name for t in tools}
    assert result.text == f"Bearer {ALICE}"


async def test_service_token_consent_message_says_a_user_token_is_needed(
    fault_server: ThreadedServer, fault_gateway: FaultGateway, through: Through
) -> None:
    async with Gateway(fault_server.url, token="service-token-xyz") as gw:
        with pytest.raises(AuthorizationRequired) as caught:
            await through.call_tool(gw, "consent", "whoami")
    assert "service (virtual account) token" in caught.value.message


async def test_mid_session_401_on_one_tool_leaves_the_session_and_other_tools_working(
    fault_client: Gateway, fault_gateway: FaultGateway, through: Through
) -> None:
    assert (
        await through.call_tool(fault_client, "midsession", "add", {"a": 1, "b": 2}, token=ALICE)
    ).structured_content == {"total": 3}
    with pytest.raises(AuthorizationRequired) as caught:
        await through.call_tool(fault_client, "midsession", "private_tool", token=ALICE)
    assert caught.value.server_names == {"mail": "Mail"}
    assert (
        await through.call_tool(fault_client, "midsession", "whoami", token=ALICE)
    ).text == f"Bearer {ALICE}"
    fault_gateway.consented.add(f"Bearer {ALICE}")
    assert (
        "private data"
        in (await through.call_tool(fault_client, "midsession", "private_tool", token=ALICE)).text
    )
    opened = [m for _, m, _ in fault_gateway.calls("midsession") if m in SESSION_OPENERS]
    assert len(opened) == 1  # at the gateway: whichever loop the calls ran on


async def test_url_elicitation_error_32042_becomes_authorization_required(
    fault_client: Gateway, through: Through
) -> None:
    with pytest.raises(AuthorizationRequired) as caught:
        await through.call_tool(fault_client, "elicit", "needs_1", token=ALICE)
    assert caught.value.authorization_urls == {"drive-1": "https://auth.example.com/drive?state=1"}
    assert caught.value.message == "Connect your drive"
    with pytest.raises(AuthorizationRequired) as caught:
        await through.call_tool(fault_client, "elicit", "needs_2", token=ALICE)
    assert len(caught.value.authorization_urls) == 2
    with pytest.raises(ProtocolError, match="sent no URL"):
        await through.call_tool(fault_client, "elicit", "needs_0", token=ALICE)


async def test_non_http_consent_link_is_refused(fault_client: Gateway, through: Through) -> None:
    with pytest.raises(InvalidAuthorizationUrl) as caught:
        await through.call_tool(fault_client, "javascript401", "whoami", token=ALICE)
    assert "javascript" not in str(caught.value)


@pytest.mark.parametrize(
    ("server", "error", "status"),
    [
        ("403", AccessDenied, 403),
        ("nosuchserver", UnknownServer, 404),
        ("429", RateLimited, 429),
        ("500", GatewayUnavailable, 500),
        ("502", GatewayUnavailable, 502),
        ("503", GatewayUnavailable, 503),
        ("text401", InvalidToken, 401),
        ("invalidtoken401", InvalidToken, 401),
    ],
)
async def test_gateway_http_errors_become_typed_errors(
    fault_client: Gateway, server: str, error: type[GatewayError], status: int, through: Through
) -> None:
    with pytest.raises(error) as caught:
        await through.call_tool(fault_client, server, "whoami", token=ALICE)
    assert caught.value.status == status
    assert caught.value.server == server
    assert ALICE not in str(caught.value)
    assert ALICE not in repr(caught.value)


async def test_rate_limit_carries_retry_after(fault_client: Gateway, through: Through) -> None:
    with pytest.raises(RateLimited) as caught:
        await through.call_tool(fault_client, "429", "whoami", token=ALICE)
    assert caught.value.retry_after == 7.0
    assert "Retry after 7 s" in caught.value.message


async def test_expired_token_message_says_what_to_do(
    fault_client: Gateway, through: Through
) -> None:
    with pytest.raises(InvalidToken, match=r"Token expired.*valid, unexpired gateway token"):
        await through.call_tool(fault_client, "invalidtoken401", "whoami", token=ALICE)


async def test_hanging_gateway_times_out_within_the_connect_timeout(
    fault_server: ThreadedServer, fault_gateway: FaultGateway, through: Through
) -> None:
    started = time.monotonic()
    async with Gateway(fault_server.url, connect_timeout=1.0) as gw:
        with pytest.raises(GatewayTimeout):
            await through.call_tool(gw, "hang", "whoami", token=ALICE)
    assert time.monotonic() - started < scaled(15)  # connect timeout + fastmcp's cleanup


async def test_slow_tool_times_out_and_the_next_call_still_works(
    fault_client: Gateway, through: Through
) -> None:
    with pytest.raises(GatewayTimeout):
        await through.call_tool(
            fault_client, "echo", "slow", {"seconds": 5}, token=ALICE, timeout=0.5
        )
    assert (
        await through.call_tool(fault_client, "echo", "whoami", token=ALICE)
    ).text == f"Bearer {ALICE}"


async def test_connection_refused_is_gateway_unavailable(through: Through) -> None:
    async with Gateway(f"http://127.0.0.1:{free_port()}") as gw:
        with pytest.raises(GatewayUnavailable, match="Could not reach the gateway"):
            await through.call_tool(gw, "echo", "whoami", token=ALICE)


async def test_tool_reported_failure_is_a_result_not_an_exception(
    fault_client: Gateway, through: Through
) -> None:
    result = await through.call_tool(
        fault_client, "echo", "fail", {"reason": "disk full"}, token=ALICE
    )
    assert result.is_error
    assert "disk full" in result.text


async def test_unknown_tool_is_reported_not_raised_as_a_crash(
    fault_client: Gateway, through: Through
) -> None:
    # fastmcp answers an unknown tool with an isError result naming it.
    result = await through.call_tool(fault_client, "echo", "no_such_tool", token=ALICE)
    assert result.is_error
    assert "no_such_tool" in result.text
