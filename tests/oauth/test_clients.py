"""A client registered beforehand: its id in the link, its secret at the token endpoint.

The fastmcp authorization server is given the client as an operator would register it
(with ``client_secret_basic`` or ``client_secret_post``); the library must authenticate
exactly so, and a wrong secret ends in a typed error, never a grant.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from fastmcp import FastMCP
from mcp.shared.auth import OAuthClientInformationFull

from mcp_gateway_tools import AuthorizationRequired, Gateway, Server, TokenRequestFailed, app_user
from mcp_gateway_tools.oauth import OAuth, OAuthClient
from tests.oauth.servers import callback_url, serve_protected
from tests.support.serving import free_port

pytestmark = pytest.mark.asyncio(loop_scope="module")

REDIRECT = f"http://127.0.0.1:{free_port()}/oauth/callback"


@pytest.fixture(scope="module")
def registered() -> Iterator[tuple[str, FastMCP]]:
    """A protected server whose authorization server knows two pre-registered clients."""
    with serve_protected() as (url, mcp):
        for method in ("client_secret_basic", "client_secret_post"):
            mcp.auth.clients[f"app-{method}"] = OAuthClientInformationFull(  # type: ignore[union-attr]
                client_id=f"app-{method}",
                client_secret=f"secret-{method}",
                token_endpoint_auth_method=method,
                redirect_uris=[REDIRECT],  # type: ignore[list-item]
                scope="read write",
            )
        yield url, mcp


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
async def test_a_pre_registered_client_authenticates_as_it_was_registered(
    registered: tuple[str, FastMCP], method: str
) -> None:
    url, mcp = registered
    oauth = OAuth(
        client_id=f"app-{method}",
        client_secret=f"secret-{method}",
        token_endpoint_auth_method=method,  # type: ignore[arg-type]
    )
    gateway = Gateway(servers={"docs": Server(url, oauth=oauth)}, oauth=OAuthClient(REDIRECT))
    async with gateway:
        with app_user("olivia"), pytest.raises(AuthorizationRequired) as raised:
            await gateway.call_tool("docs", "whoami")
        link = raised.value.authorization_urls["docs"]
        assert parse_qs(urlsplit(link).query)["client_id"] == [f"app-{method}"]
        await gateway.complete_authorization(
            await callback_url(link, callback_prefix=REDIRECT), user="olivia"
        )
        with app_user("olivia"):
            assert (await gateway.call_tool("docs", "whoami")).text
    registered_clients = set(mcp.auth.clients)  # type: ignore[union-attr]
    assert registered_clients == {"app-client_secret_basic", "app-client_secret_post"}, (
        "no dynamic registration happened"
    )


async def test_a_wrong_client_secret_is_a_typed_refusal(registered: tuple[str, FastMCP]) -> None:
    url, _mcp = registered
    oauth = OAuth(client_id="app-client_secret_basic", client_secret="not-the-secret")
    gateway = Gateway(servers={"docs": Server(url, oauth=oauth)}, oauth=OAuthClient(REDIRECT))
    async with gateway:
        with app_user("oscar"), pytest.raises(AuthorizationRequired) as raised:
            await gateway.call_tool("docs", "whoami")
        back = await callback_url(raised.value.authorization_urls["docs"], callback_prefix=REDIRECT)
        with pytest.raises(TokenRequestFailed) as refused:
            await gateway.complete_authorization(back, user="oscar")
    assert refused.value.error in ("invalid_client", "unauthorized_client")
    assert "not-the-secret" not in f"{refused.value}{refused.value!r}"
