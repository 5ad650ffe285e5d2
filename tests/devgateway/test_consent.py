"""The consent flow: page content, approve, deny, replay, expiry, wrong user, refresh."""

from __future__ import annotations

import time
from typing import Any

import httpx2

from mcp_gateway_tools.devgateway import DEFAULT_CONFIG_TOML, DevGateway, parse_config

from .helpers import INITIALIZE, call, headers


def _link(gw: DevGateway, http: httpx2.Client, user: str, server: str) -> str:
    resp = http.post(gw.url(server), json=INITIALIZE, headers=headers(gw.tokens.user(user)))
    assert resp.status_code == 401
    return str(resp.json()["authorization_urls"][server])


def test_consent_page_shows_server_user_and_scopes(devgateway: DevGateway, http: Any) -> None:
    link = _link(devgateway, http, "alice", "calendar")
    resp = http.get(link, follow_redirects=True)
    assert resp.status_code == 200
    assert str(resp.url).startswith(f"{devgateway.upstream_url}/oauth/authorize")
    assert "code_challenge_method=S256" in str(resp.url)
    page = resp.text
    assert "Calendar" in page
    assert "alice@example.com" in page
    assert "calendar.read" in page
    assert "calendar.write" in page
    assert "Approve" in page
    assert "Deny" in page
    assert devgateway.grants() == []


def test_deny_stores_nothing(devgateway: DevGateway) -> None:
    result = devgateway.consent("alice", "mail", approve=False)
    assert result.outcome == "denied"
    assert "Nothing was stored" in result.message
    assert devgateway.grants() == []


def test_replayed_link_is_refused_and_stores_nothing(devgateway: DevGateway, http: Any) -> None:
    link = _link(devgateway, http, "bob", "mail")
    first = devgateway.consent("bob", "mail", link=link, approve=False)
    assert first.outcome == "denied"
    replay = devgateway.consent("bob", "mail", link=link, check=False)
    assert replay.outcome == "used"
    assert replay.status == 410
    assert devgateway.grants() == []


def test_replay_after_approval_is_refused(devgateway: DevGateway, http: Any) -> None:
    link = _link(devgateway, http, "bob", "mail")
    assert devgateway.consent("bob", "mail", link=link).granted
    devgateway.revoke("bob", "mail")
    replay = devgateway.consent("bob", "mail", link=link, check=False)
    assert replay.outcome == "used"
    assert devgateway.grants() == []


def test_link_for_another_user_is_refused(devgateway: DevGateway, http: Any) -> None:
    link = _link(devgateway, http, "alice", "mail")
    result = devgateway.consent("bob", "mail", link=link, check=False)
    assert result.outcome == "wrong-user"
    assert result.status == 403
    assert devgateway.grants() == []
    # The link still works for the user it was issued to.
    assert devgateway.consent("alice", "mail", link=link).granted
    assert devgateway.grants() == [("alice@example.com", "mail")]


def test_expired_link_is_refused(http: Any) -> None:
    text = DEFAULT_CONFIG_TOML + "\n[gateway]\nconsent_link_ttl = 0.2\n"
    with DevGateway(parse_config(text)) as gw:
        link = _link(gw, http, "alice", "mail")
        time.sleep(0.3)
        result = gw.consent("alice", "mail", link=link, check=False)
        assert result.outcome == "expired"
        assert result.status == 410
        assert gw.grants() == []


def test_unknown_link_and_forged_callback(devgateway: DevGateway, http: Any) -> None:
    resp = http.get(f"{devgateway.base_url}/consent/not-a-ticket")
    assert resp.status_code == 404
    resp = http.get(
        f"{devgateway.base_url}/oauth/callback", params={"code": "x", "state": "forged"}
    )
    assert resp.status_code == 400
    assert "Nothing was stored" in resp.text
    assert devgateway.grants() == []


def test_already_granted_is_reported(devgateway: DevGateway) -> None:
    assert devgateway.consent("alice", "mail").outcome == "granted"
    assert devgateway.consent("alice", "mail").outcome == "already-granted"


def test_expired_access_token_is_refreshed(devgateway: DevGateway, http: Any) -> None:
    token = devgateway.tokens.user("alice")
    devgateway.consent("alice", "mail")
    before = http.post(devgateway.url("mail"), json=call("mail_whoami"), headers=headers(token))
    first_id = before.json()["result"]["structuredContent"]["token_id"]
    devgateway.expire_access_token("alice", "mail")
    after = http.post(devgateway.url("mail"), json=call("mail_whoami"), headers=headers(token))
    assert after.status_code == 200
    data = after.json()["result"]["structuredContent"]
    assert data["user"] == "alice@example.com"
    assert data["token_id"] != first_id


def test_failed_refresh_asks_for_consent_again(devgateway: DevGateway, http: Any) -> None:
    token = devgateway.tokens.user("alice")
    devgateway.consent("alice", "mail")
    devgateway.expire_access_token("alice", "mail")
    # The provider forgets the refresh token too, as if access were revoked there.
    devgateway._b.provider.revoke("alice@example.com", devgateway._b.client_ids["mail"])
    resp = http.post(devgateway.url("mail"), json=call("mail_whoami"), headers=headers(token))
    assert resp.status_code == 401
    assert resp.json()["error"]["type"] == "McpAuthRequiredError"
    assert devgateway.grants() == []


def test_revoke_brings_back_the_401(devgateway: DevGateway, http: Any) -> None:
    token = devgateway.tokens.user("bob")
    devgateway.consent("bob", "calendar")
    assert (
        http.post(devgateway.url("calendar"), json=INITIALIZE, headers=headers(token)).status_code
        == 200
    )
    assert devgateway.revoke("bob", "calendar") is True
    assert (
        http.post(devgateway.url("calendar"), json=INITIALIZE, headers=headers(token)).status_code
        == 401
    )


def test_grants_are_per_server(devgateway: DevGateway, http: Any) -> None:
    devgateway.consent("alice", "mail")
    resp = http.post(
        devgateway.url("calendar"),
        json=INITIALIZE,
        headers=headers(devgateway.tokens.user("alice")),
    )
    assert resp.status_code == 401


def test_unreachable_provider_on_refresh_is_502_and_keeps_grant(http: Any) -> None:
    import socket

    from mcp_gateway_tools.devgateway._store import Grant

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    text = DEFAULT_CONFIG_TOML.replace(
        'auth = { type = "oauth", scopes = ["mail.read", "mail.send"] }',
        f'auth = {{ type = "oauth", provider = "corp", scopes = ["mail.read"], '
        f'client_id = "c", client_secret = "s", '
        f'authorize_url = "http://127.0.0.1:{port}/authorize", '
        f'token_url = "http://127.0.0.1:{port}/token" }}',
    )
    with DevGateway(parse_config(text)) as gw:
        store = gw._store
        assert store is not None
        store.put(Grant("alice@example.com", "mail", "old-access", "old-refresh", 0.0, "mail.read"))
        resp = http.post(gw.url("mail"), json=INITIALIZE, headers=headers(gw.tokens.user("alice")))
        assert resp.status_code == 502
        assert resp.json()["error"]["type"] == "BadGatewayError"
        assert "old-" not in resp.text
        assert gw.grants() == [("alice@example.com", "mail")]


def test_a_login_as_another_user_is_refused_at_the_callback(
    devgateway: DevGateway, http: Any
) -> None:
    """Bob edits the provider redirect's login_hint to Alice's address: the provider
    issues Alice's token, and the gateway's callback refuses to store it for Bob."""
    link = _link(devgateway, http, "bob", "mail")
    redirect = http.get(link)
    assert redirect.status_code == 302
    forged = redirect.headers["location"].replace("bob%40example.com", "alice%40example.com")
    assert forged != redirect.headers["location"]
    page = http.get(forged)
    assert "alice@example.com" in page.text  # the mock provider believes the hint
    request_id = page.text.split("name='request_id' value='")[1].split("'")[0]
    back = http.post(
        f"{devgateway.upstream_url}/oauth/authorize",
        data={"request_id": request_id, "decision": "approve"},
    )
    assert back.status_code == 303
    callback = http.get(back.headers["location"])
    assert callback.status_code == 403
    assert "data-outcome='wrong-account'" in callback.text
    assert devgateway.grants() == []  # neither Bob nor Alice holds a grant


def test_the_honest_login_still_connects(devgateway: DevGateway) -> None:
    assert devgateway.consent("bob", "mail").granted
    assert devgateway.grants() == [("bob@example.com", "mail")]
