"""``notifications/elicitation/complete``: the server says the user finished a link.

It wakes a wait for consent at once (issue 14), and a URL elicitation the server has
already reported complete is answered ``accept`` without asking anyone (issue 13).

The server here refuses to list its tools until the user has completed a URL
elicitation out of band; when that happens it sends ``notifications/elicitation/complete``
on the user's session. The wait's backoff is set to an hour, so only that notification
can make it probe again: the test passes only if the notification wakes it.

The notification exists up to protocol 2025-11-25 (the 2026-07-28 revision moves URL
requests into the tool result and the SDK drops it there), so the session is legacy.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import mcp_types
import pytest
from fastmcp import Context, FastMCP
from fastmcp.server.middleware import Middleware, MiddlewareContext
from mcp.shared.exceptions import MCPError

from mcp_gateway_tools import AuthorizationRequired, Gateway, _waiting
from tests.support.serving import ThreadedServer

AN_HOUR = 3600.0


class ConsentOutOfBand(Middleware):
    """Lists nothing before consent; the first refused listing completes the consent
    (as if the user had just finished in their browser) and tells the client so."""

    def __init__(self) -> None:
        self.consented = False
        self.refused = 0

    async def on_list_tools(self, context: MiddlewareContext[Any], call_next: Any) -> Sequence[Any]:
        if self.consented:
            return list(await call_next(context))
        self.refused += 1
        ctx = context.fastmcp_context
        assert ctx is not None
        self.consented = True
        await ctx.session.send_elicit_complete("link-1", related_request_id=ctx.request_id)
        raise MCPError(
            mcp_types.URL_ELICITATION_REQUIRED,
            "Connect your account first.",
            {
                "elicitations": [
                    {
                        "mode": "url",
                        "elicitationId": "link-1",
                        "url": "https://accounts.example.com/connect",
                        "message": "Connect your account.",
                    }
                ]
            },
        )


@pytest.fixture
def consent() -> ConsentOutOfBand:
    return ConsentOutOfBand()


@pytest.fixture
def accounts_server(consent: ConsentOutOfBand) -> Iterator[ThreadedServer]:
    mcp = FastMCP("accounts", middleware=[consent])

    @mcp.tool
    def whoami() -> str:
        return "connected"

    @mcp.tool
    async def pay(ctx: Context) -> str:
        """The user already finished the payment page in another tab: the server says
        so, then asks for that same page, which the client must not show again."""
        await ctx.session.send_elicit_complete("pay-1", related_request_id=ctx.request_id)
        result = await ctx.session.elicit_url(
            message="Open the payment page.",
            url="https://pay.example.com/checkout",
            elicitation_id="pay-1",
            related_request_id=ctx.request_id,
        )
        return f"payment {result.action}"

    served = ThreadedServer(mcp.http_app(path="/mcp"))
    served.start()
    try:
        yield served
    finally:
        served.stop()


async def test_the_completion_notification_wakes_the_wait_at_once(
    accounts_server: ThreadedServer, consent: ConsentOutOfBand, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_waiting, "FIRST_DELAY", AN_HOUR)
    monkeypatch.setattr(_waiting, "MAX_DELAY", AN_HOUR)
    accounts = {"accounts": f"{accounts_server.url}/mcp"}
    async with Gateway(servers=accounts, token="user-1", protocol_mode="legacy") as gateway:
        await gateway.wait_for_authorization("accounts", timeout=None)
        tools = await gateway.list_tools("accounts")
    assert consent.refused == 1  # refused once, then woken: no hour-long pause
    assert {t.name for t in tools} == {"whoami", "pay"}


async def test_a_link_already_reported_complete_is_accepted_without_asking(
    accounts_server: ThreadedServer, consent: ConsentOutOfBand
) -> None:
    consent.consented = True  # the account is connected; only the payment page is asked
    asked: list[Any] = []
    accounts = {"accounts": f"{accounts_server.url}/mcp"}
    async with Gateway(
        servers=accounts, token="user-1", protocol_mode="legacy", on_interaction=asked.append
    ) as gateway:
        result = await gateway.call_tool("accounts", "pay", {})
    assert result.text == "payment accept"
    assert asked == []  # nobody was asked to open the page again


async def test_a_url_elicitation_error_with_a_static_token_makes_no_virtual_account_claim(
    accounts_server: ThreadedServer,
) -> None:
    accounts = {"accounts": f"{accounts_server.url}/mcp"}
    async with Gateway(servers=accounts, token="user-1", protocol_mode="legacy") as gateway:
        with pytest.raises(AuthorizationRequired) as raised:
            await gateway.list_tools("accounts")
    assert "virtual account" not in raised.value.message
    assert raised.value.authorization_urls == {"link-1": "https://accounts.example.com/connect"}
