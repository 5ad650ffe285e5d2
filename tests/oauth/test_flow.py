"""The app as each user's OAuth client, against fastmcp's own authorization server.

Discovery, dynamic registration, PKCE and the callback through the core: the first
call raises AuthorizationRequired with a link for the bound app user; after the
browser (played by httpx) comes back to the app's callback, the same call succeeds
with that user's own token.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import pytest

from mcp_gateway_tools import (
    AuthorizationRequired,
    InvalidAuthorizationState,
    MissingAppUser,
    app_user,
)
from tests.oauth.conftest import OAuthApp
from tests.oauth.servers import browse, callback_url
from tests.support.timing import scaled

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def link_for(app: OAuthApp, user: str) -> str:
    with app_user(user), pytest.raises(AuthorizationRequired) as raised:
        await app.gateway.call_tool("docs", "whoami")
    return raised.value.authorization_urls["docs"]


async def test_no_app_user_bound_fails_closed(oauth_app: OAuthApp) -> None:
    with pytest.raises(MissingAppUser):
        await oauth_app.gateway.list_tools("docs")


async def test_the_link_is_a_pkce_authorization_request_for_this_resource(
    oauth_app: OAuthApp,
) -> None:
    link = await link_for(oauth_app, "link-reader")
    query = parse_qs(urlsplit(link).query)
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["resource"] == [oauth_app.server_url]
    assert query["redirect_uri"] == [oauth_app.callback_prefix]
    assert len(query["state"][0]) >= 32
    assert "code_verifier" not in link
    again = await link_for(oauth_app, "link-reader")
    assert again == link, "a live link is shown again, not replaced by a new state"


async def test_two_users_at_once_each_get_their_own_link_and_token(oauth_app: OAuthApp) -> None:
    async def user_flow(user: str) -> tuple[str, str]:
        link = await link_for(oauth_app, user)
        page = await browse(link, user=user, callback_prefix=oauth_app.callback_prefix)
        assert page.status_code == 200, page.text
        with app_user(user):
            first = (await oauth_app.gateway.call_tool("docs", "whoami")).text
            second = (await oauth_app.gateway.call_tool("docs", "whoami")).text
        assert first == second
        return link, first

    (link_a, seen_a), (link_b, seen_b) = await asyncio.gather(user_flow("alice"), user_flow("bob"))
    assert link_a != link_b
    assert seen_a.split()[0] != seen_b.split()[0], "each user calls with their own token"


async def test_a_state_works_once(oauth_app: OAuthApp) -> None:
    link = await link_for(oauth_app, "carol")
    back = await callback_url(link, callback_prefix=oauth_app.callback_prefix)
    done = await oauth_app.gateway.complete_authorization(back, user="carol")
    assert (done.user, done.server) == ("carol", "docs")
    with pytest.raises(InvalidAuthorizationState) as replay:
        await oauth_app.gateway.complete_authorization(back, user="carol")
    assert replay.value.error == "invalid_state"
    assert "code=" not in replay.value.message


async def test_a_callback_for_another_signed_in_user_is_refused(oauth_app: OAuthApp) -> None:
    link = await link_for(oauth_app, "dave")
    page = await browse(link, user="mallory", callback_prefix=oauth_app.callback_prefix)
    assert page.status_code == 400
    assert "another user" in page.text
    with app_user("mallory"), pytest.raises(AuthorizationRequired):
        await oauth_app.gateway.call_tool("docs", "whoami")
    with app_user("dave"), pytest.raises(AuthorizationRequired) as raised:
        await oauth_app.gateway.call_tool("docs", "whoami")
    assert raised.value.authorization_urls["docs"] != link, "the refused state is spent"


async def test_a_wait_for_the_users_consent_ends_when_their_callback_completes(
    oauth_app: OAuthApp,
) -> None:
    link = await link_for(oauth_app, "wendy")
    with app_user("wendy"):
        waiting = asyncio.create_task(
            oauth_app.gateway.wait_for_authorization("docs", timeout=scaled(60))
        )
    page = await browse(link, user="wendy", callback_prefix=oauth_app.callback_prefix)
    assert page.status_code == 200
    async with asyncio.timeout(scaled(20)):
        await waiting
    with app_user("wendy"):
        assert (await oauth_app.gateway.call_tool("docs", "whoami")).text
