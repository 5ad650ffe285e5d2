"""Token providers: a callable (sync or async) wherever a token is accepted.

Asked at every call (its Credential cached while the answer is unchanged); on
InvalidToken asked once more and the call retried once if the token changed; a
rotated token's sessions are closed at once. Against the dev gateway (real JWTs that
expire) and the fault gateway (whose ``whoami`` echoes the Authorization header).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from pydantic import SecretStr

from mcp_gateway_tools import (
    ConfigurationError,
    Gateway,
    InvalidToken,
    MissingUserToken,
    user_token,
)
from mcp_gateway_tools.devgateway import DevGateway
from tests.support.faultgateway import FaultGateway
from tests.support.serving import ThreadedServer
from tests.support.through import Through


class Rotating:
    """A provider answering from a list (the last answer repeats); counts the asks."""

    def __init__(self, *tokens: str | SecretStr) -> None:
        self.tokens = list(tokens)
        self.asked = 0

    def __call__(self) -> str | SecretStr:
        self.asked += 1
        return self.tokens[min(self.asked, len(self.tokens)) - 1]


class AsyncRotating(Rotating):
    async def __call__(self) -> str | SecretStr:  # type: ignore[override]
        await asyncio.sleep(0)
        return super().__call__()


async def whoami(gw: Gateway, **kwargs: object) -> str:
    return (await gw.call_tool("echo", "whoami", **kwargs)).text  # type: ignore[arg-type]


async def test_a_service_token_provider_is_asked_at_every_call(
    fault_server: ThreadedServer, fault_gateway: FaultGateway
) -> None:
    provider = Rotating("va-token-1", "va-token-1", "va-token-2")
    async with Gateway(fault_server.url, token=provider) as gw:
        assert gw.has_service_token
        assert await whoami(gw) == "Bearer va-token-1"
        first = gw.credential()  # asks too: the same answer gives the same Credential
        assert await whoami(gw) == "Bearer va-token-2"
        assert provider.asked == 3
        assert first.source == "service"


async def test_an_async_provider_bound_with_user_token_and_one_given_per_call(
    fault_server: ThreadedServer, fault_gateway: FaultGateway
) -> None:
    async with Gateway(fault_server.url, token="service-token") as gw:
        with user_token(AsyncRotating(SecretStr("alice-jwt-1"))):
            assert await whoami(gw) == "Bearer alice-jwt-1"
        assert await whoami(gw, token=AsyncRotating("bob-jwt-1")) == "Bearer bob-jwt-1"
        assert await whoami(gw) == "Bearer service-token"  # nothing bound any more


async def test_an_unchanged_answer_reuses_the_credential_and_the_session(
    fault_server: ThreadedServer, fault_gateway: FaultGateway
) -> None:
    provider = Rotating("steady-token")
    async with Gateway(fault_server.url) as gw:
        with user_token(provider):
            credentials = {id(await gw.acredential()) for _ in range(5)}
            for _ in range(5):
                assert await whoami(gw) == "Bearer steady-token"
        assert len(credentials) == 1
        assert gw.sessions_opened() == 1


async def test_a_rotated_tokens_session_is_closed_at_once_not_left_to_idle(
    fault_server: ThreadedServer, fault_gateway: FaultGateway
) -> None:
    provider = Rotating("old-token", "new-token")
    async with Gateway(fault_server.url, idle_timeout=3600) as gw:
        with user_token(provider):
            assert await whoami(gw) == "Bearer old-token"
            assert gw.open_sessions() == 1
            assert await whoami(gw) == "Bearer new-token"
        assert gw.open_sessions() == 1  # the old token's session is gone
        assert gw.sessions_opened() == 2
        # other identities' sessions are untouched by that rotation
        assert await whoami(gw, token="bystander") == "Bearer bystander"
        assert gw.open_sessions() == 2


async def test_an_expired_jwt_is_replaced_by_asking_the_provider_once_more(
    dev: DevGateway, through: Through
) -> None:
    """A user's IdP JWT expires mid-conversation; the provider has a fresh one."""
    expired = dev.issue_jwt("alice", expires_in=-3600)
    fresh = dev.issue_jwt("alice")
    provider = AsyncRotating(expired, fresh)
    async with Gateway(dev.base_url) as gw:
        with user_token(provider):
            result = await through.call_tool(gw, "knowledge", "kb_whoami")
        assert not result.is_error
        assert provider.asked == 2


async def test_a_virtual_account_rotation_is_covered_by_a_service_provider(
    dev: DevGateway, through: Through
) -> None:
    revoked = dev.issue_jwt("alice", expires_in=-3600)  # stands for a rotated-out token
    provider = Rotating(dev.tokens.service, revoked, dev.tokens.service)
    async with Gateway(dev.base_url, token=provider) as gw:
        assert not (await through.call_tool(gw, "knowledge", "kb_whoami")).is_error
        tools = await through.list_tools(gw, "knowledge", refresh=True)  # rejected, then retried
        assert tools
        assert provider.asked == 3


async def test_a_changed_token_after_invalid_token_is_retried_once(
    fault_server: ThreadedServer, fault_gateway: FaultGateway, through: Through
) -> None:
    provider = Rotating("first", "second", "third")
    async with Gateway(fault_server.url, protocol_mode="legacy") as gw:
        with pytest.raises(InvalidToken):
            await through.call_tool(gw, "invalidtoken401", "whoami", token=provider)
    assert provider.asked == 2
    assert [r[2] for r in fault_gateway.calls("invalidtoken401")] == [
        "Bearer first",
        "Bearer second",
    ]


async def test_the_same_token_after_invalid_token_is_not_retried(
    fault_server: ThreadedServer, fault_gateway: FaultGateway, through: Through
) -> None:
    provider = Rotating("always-the-same")
    async with Gateway(fault_server.url, protocol_mode="legacy") as gw:
        with pytest.raises(InvalidToken):
            await through.call_tool(gw, "invalidtoken401", "whoami", token=provider)
    assert provider.asked == 2  # asked once more, same answer: no second attempt
    assert len(fault_gateway.calls("invalidtoken401")) == 1


async def test_a_plain_token_is_never_retried_on_invalid_token(
    fault_server: ThreadedServer, fault_gateway: FaultGateway, through: Through
) -> None:
    async with Gateway(fault_server.url, protocol_mode="legacy") as gw:
        with pytest.raises(InvalidToken):
            await through.call_tool(gw, "invalidtoken401", "whoami", token="plain-token")
    assert len(fault_gateway.calls("invalidtoken401")) == 1


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (lambda: None, MissingUserToken),
        (lambda: 42, ConfigurationError),
        (lambda: "not a token\u00e9", InvalidToken),
        (lambda: "", MissingUserToken),
    ],
)
async def test_a_provider_answering_nonsense_fails_closed(
    fault_server: ThreadedServer,
    fault_gateway: FaultGateway,
    answer: Callable[[], object],
    error: type[Exception],
    through: Through,
) -> None:
    async with Gateway(fault_server.url, token="service-token") as gw:
        with pytest.raises(error):
            await through.call_tool(gw, "echo", "whoami", token=answer)  # type: ignore[arg-type]
    assert fault_gateway.calls("echo") == []  # nothing sent, no fallback to the service


def test_an_async_provider_needs_the_async_credential() -> None:
    gw = Gateway("http://127.0.0.1:9", token=AsyncRotating("svc-token"))
    with pytest.raises(ConfigurationError, match="acredential"):
        gw.credential()


def test_sync_calls_accept_providers_too(
    fault_server: ThreadedServer, fault_gateway: FaultGateway
) -> None:
    gw = Gateway(fault_server.url)
    try:
        assert gw.call_tool_sync("echo", "whoami", token=AsyncRotating("t-sync")).text == (
            "Bearer t-sync"
        )
    finally:
        gw.close()
