"""The dev gateway's ``mcp-oauth`` mode: a standard OAuth-protected MCP server, over HTTP.

Every step is a real request to the running gateway's upstream port: protected-resource
metadata, authorization-server metadata, dynamic registration, the sign-in and consent
pages, the token endpoint (PKCE S256, single-use codes, refresh rotation), revocation,
and the MCP endpoint's 401 / 403 ``insufficient_scope`` answers.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2
import pytest

from mcp_gateway_tools.devgateway import ConfigError, DevGateway, parse_config
from mcp_gateway_tools.devgateway._config import DEFAULT_CONFIG_TOML
from tests.support.browser import launch_chromium

from .helpers import INITIALIZE, call, headers

CONFIG = (
    DEFAULT_CONFIG_TOML.replace(
        'auth = { type = "oauth", scopes = ["calendar.read", "calendar.write"] }',
        'auth = { type = "mcp-oauth", scopes = ["calendar.read"], clients = [{ client_id = '
        '"pre-app", client_secret = "pre-secret-1", redirect_uris = ["http://127.0.0.1:9/callback"]'
        " }] }",
    )
    + """
[users.carol]
email = "carol@example.com"
tokens = ["dev-pat-carol"]

[servers.inbox]
display_name = "Inbox"
sample = "mail"
users = ["alice", "bob"]
auth = { type = "mcp-oauth", scopes = ["mail.read"] }
"""
)
REDIRECT = "http://127.0.0.1:9/callback"


@pytest.fixture(scope="module")
def dev() -> Iterator[DevGateway]:
    with DevGateway(parse_config(CONFIG)) as gateway:
        yield gateway


@pytest.fixture
def http() -> Iterator[httpx2.Client]:
    with httpx2.Client(timeout=30.0, follow_redirects=False) as client:
        yield client


@dataclass
class App:
    """The client side of MCP authorization, step by step (what an app does)."""

    dev: DevGateway
    http: httpx2.Client
    client_id: str = ""
    client_secret: str = ""
    verifier: str = ""

    auth_method: str = "client_secret_post"

    def register(self, name: str = "Test App", auth_method: str = "client_secret_post") -> App:
        meta = {"client_name": name, "redirect_uris": [REDIRECT],
                "token_endpoint_auth_method": auth_method}  # fmt: skip
        resp = self.http.post(f"{self.dev.upstream_url}/register", json=meta)
        assert resp.status_code == 201, resp.text
        self.client_id = resp.json()["client_id"]
        self.client_secret = resp.json().get("client_secret") or ""
        self.auth_method = auth_method
        return self

    def authorization_url(self, server: str, scope: str, **extra: str) -> str:
        self.verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(self.verifier.encode()).digest()
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT,
            "code_challenge": base64.urlsafe_b64encode(digest).decode().rstrip("="),
            "code_challenge_method": "S256",
            "state": "st-" + secrets.token_hex(4),
            "scope": scope,
            "resource": self.dev.oauth_server_url(server),
            **extra,
        }
        return f"{self.dev.upstream_url}/authorize?{urlencode(query)}"

    def token(self, **form: str) -> httpx2.Response:
        url = f"{self.dev.upstream_url}/token"
        data = {"client_id": self.client_id, **form}
        if self.auth_method == "client_secret_basic":
            return self.http.post(url, data=data, auth=(self.client_id, self.client_secret))
        if self.auth_method == "client_secret_post":
            data["client_secret"] = self.client_secret
        return self.http.post(url, data=data)

    def exchange(self, callback_url: str, verifier: str | None = None) -> httpx2.Response:
        code = parse_qs(urlsplit(callback_url).query)["code"][0]
        return self.token(
            grant_type="authorization_code",
            code=code,
            redirect_uri=REDIRECT,
            code_verifier=verifier or self.verifier,
        )

    def grant(self, user: str, server: str, scope: str) -> dict[str, Any]:
        """Authorize, consent as ``user`` and exchange the code: the token response."""
        result = self.dev.browser_consent(
            self.authorization_url(server, scope), user, follow_callback=False
        )
        assert result.approved, result
        assert result.callback_url is not None
        resp = self.exchange(result.callback_url)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())


def _call(http: httpx2.Client, url: str, token: str, tool: str) -> httpx2.Response:
    return http.post(url, json=call(tool), headers=headers(token))


def _whoami(http: httpx2.Client, dev: DevGateway, token: str) -> dict[str, Any]:
    resp = _call(http, dev.oauth_server_url("calendar"), token, "calendar_whoami")
    assert resp.status_code == 200, resp.text
    return dict(resp.json()["result"]["structuredContent"])


def test_no_token_gets_401_pointing_to_resource_and_server_metadata(
    dev: DevGateway, http: httpx2.Client
) -> None:
    url = dev.oauth_server_url("calendar")
    resp = http.post(url, json=INITIALIZE, headers=headers())
    assert resp.status_code == 401
    www = resp.headers["www-authenticate"]
    prm_url = f"{dev.upstream_url}/.well-known/oauth-protected-resource/samples/calendar/mcp"
    assert f'resource_metadata="{prm_url}"' in www
    assert 'scope="calendar.read"' in www

    prm = http.get(prm_url).json()
    assert prm["resource"] == url
    assert prm["authorization_servers"] == [dev.authorization_server_url + "/"]
    assert prm["scopes_supported"] == ["calendar.read", "calendar.write"]
    meta = http.get(f"{dev.upstream_url}/.well-known/oauth-authorization-server").json()
    assert meta["issuer"] == dev.authorization_server_url + "/"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["registration_endpoint"] == f"{dev.upstream_url}/register"
    assert meta["revocation_endpoint"] == f"{dev.upstream_url}/revoke"
    assert {"authorization_code", "refresh_token"} <= set(meta["grant_types_supported"])

    bad = http.post(url, json=INITIALIZE, headers=headers("not-a-token"))
    assert bad.status_code == 401
    assert 'error="invalid_token"' in bad.headers["www-authenticate"]
    assert dev.oauth_servers() == {"calendar": url, "inbox": dev.oauth_server_url("inbox")}
    fronted = http.post(dev.url("calendar"), json=INITIALIZE, headers=headers("dev-pat-alice"))
    assert fronted.status_code == 404
    assert url in fronted.json()["message"]


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "none"])
def test_basic_and_public_clients_get_tokens(
    dev: DevGateway, http: httpx2.Client, auth_method: str
) -> None:
    meta = http.get(f"{dev.upstream_url}/.well-known/oauth-authorization-server").json()
    assert auth_method in meta["token_endpoint_auth_methods_supported"]
    app = App(dev, http).register(auth_method=auth_method)
    token = app.grant("bob", "calendar", "calendar.read")
    assert _whoami(http, dev, token["access_token"])["user"] == "bob@example.com"
    form = {"token": token["refresh_token"], "token_type_hint": "refresh_token",
            "client_id": app.client_id}  # fmt: skip
    basic = (app.client_id, app.client_secret) if auth_method == "client_secret_basic" else None
    revoked = http.post(f"{dev.upstream_url}/revoke", data=form, auth=basic)
    assert revoked.status_code == 200
    url = dev.oauth_server_url("calendar")
    assert _call(http, url, token["access_token"], "calendar_whoami").status_code == 401
    if auth_method == "client_secret_basic":
        app.client_secret = "wrong"
        refused = app.token(grant_type="refresh_token", refresh_token=token["refresh_token"])
        assert refused.status_code == 401
        assert refused.json()["error"] == "invalid_client"


def test_a_pre_registered_client_needs_no_registration(
    dev: DevGateway, http: httpx2.Client
) -> None:
    app = App(dev, http, client_id="pre-app", client_secret="pre-secret-1")
    app.auth_method = "client_secret_basic"
    token = app.grant("alice", "calendar", "calendar.read")
    assert _whoami(http, dev, token["access_token"])["user"] == "alice@example.com"
    app.client_secret = "pre-secret-2"
    refused = app.token(grant_type="refresh_token", refresh_token=token["refresh_token"])
    assert refused.status_code == 401
    with pytest.raises(ConfigError, match="exactly when"):
        parse_config(CONFIG.replace('client_secret = "pre-secret-1", ', ""))


def test_the_token_belongs_to_who_signed_in_not_to_login_hint(
    dev: DevGateway, http: httpx2.Client
) -> None:
    app = App(dev, http).register()
    link = app.authorization_url("calendar", "calendar.read", login_hint="bob@example.com")
    result = dev.browser_consent(link, "alice", follow_callback=False)
    assert result.approved
    assert result.callback_url is not None
    assert result.callback_url.startswith(REDIRECT)
    state = parse_qs(urlsplit(link).query)["state"][0]
    assert parse_qs(urlsplit(result.callback_url).query)["state"] == [state]
    token = app.exchange(result.callback_url).json()
    assert token["scope"] == "calendar.read"
    assert token["token_type"] == "Bearer"
    assert _whoami(http, dev, token["access_token"])["user"] == "alice@example.com"


def test_sign_in_refuses_unknown_credentials_and_service_accounts(
    dev: DevGateway, http: httpx2.Client
) -> None:
    app = App(dev, http).register("Test App\u202e\x07")
    to_pages = http.get(app.authorization_url("calendar", "calendar.read"))
    assert to_pages.status_code == 302
    page_url = to_pages.headers["location"]
    login = http.get(page_url)
    assert "data-outcome='login'" in login.text
    assert login.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in login.headers["content-security-policy"]
    request_id = parse_qs(urlsplit(page_url).query)["request"][0]
    for password in ["wrong", dev.tokens.account("ci-bot")]:
        form = {"request_id": request_id, "password": password}
        refused = http.post(f"{dev.upstream_url}/as/login", data=form)
        assert refused.status_code == 401
        assert "data-outcome='login'" in refused.text
        assert "set-cookie" not in refused.headers

    form = {"request_id": request_id, "password": dev.tokens.user("bob")}
    for origin in ["http://127.0.0.1:9", "null"]:  # a page of another site posting the form
        csrf = http.post(f"{dev.upstream_url}/as/login", data=form, headers={"Origin": origin})
        assert csrf.status_code == 403
        assert "set-cookie" not in csrf.headers
    same_site = {"Origin": dev.upstream_url}
    signed_in = http.post(f"{dev.upstream_url}/as/login", data=form, headers=same_site)
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "path=/as" in cookie
    assert "samesite=lax" in cookie
    consent = http.get(f"{dev.upstream_url}{signed_in.headers['location']}")
    assert "data-outcome='consent'" in consent.text
    assert "bob@example.com" in consent.text
    assert "Test App (returning to 127.0.0.1:9)" in consent.text
    assert "127.0.0.1:9" in consent.text
    assert consent.headers["x-frame-options"] == "DENY"


def test_a_consent_form_answers_once_and_only_for_its_own_session(
    dev: DevGateway, http: httpx2.Client
) -> None:
    app = App(dev, http).register()
    page_url = http.get(app.authorization_url("calendar", "calendar.read")).headers["location"]
    request_id = parse_qs(urlsplit(page_url).query)["request"][0]
    form = {"request_id": request_id, "password": dev.tokens.user("alice")}
    http.post(f"{dev.upstream_url}/as/login", data=form)
    http.get(page_url)  # the consent page, shown to alice's session
    decision = {"request_id": request_id, "decision": "approve"}
    with httpx2.Client(timeout=30.0) as other:  # another browser, signed in as bob
        login = {"request_id": request_id, "password": dev.tokens.user("bob")}
        other.post(f"{dev.upstream_url}/as/login", data=login)
        stolen = other.post(f"{dev.upstream_url}/as/consent", data=decision)
        assert "data-outcome='expired'" in stolen.text
    approved = http.post(f"{dev.upstream_url}/as/consent", data=decision)
    assert approved.status_code == 303
    assert "code=" in approved.headers["location"]
    again = http.post(f"{dev.upstream_url}/as/consent", data=decision)
    assert again.status_code == 400
    assert "data-outcome='expired'" in again.text


def test_deny_and_disallowed_users_go_back_with_access_denied(
    dev: DevGateway, http: httpx2.Client
) -> None:
    app = App(dev, http).register()
    before = dev.oauth_grants()
    denied = dev.browser_consent(
        app.authorization_url("calendar", "calendar.read"), "bob", approve=False,
        follow_callback=False,
    )  # fmt: skip
    assert denied.outcome == "access_denied"
    assert denied.callback_url is not None
    outsider = dev.browser_consent(
        app.authorization_url("inbox", "mail.read"), "carol", follow_callback=False
    )
    assert outsider.outcome == "access_denied"
    assert dev.oauth_grants() == before


def test_resource_is_required_and_must_be_known(dev: DevGateway, http: httpx2.Client) -> None:
    app = App(dev, http).register()
    for resource in ["", "http://127.0.0.1:9/elsewhere/mcp"]:
        url = app.authorization_url("calendar", "calendar.read", resource=resource)
        resp = http.get(url)
        assert resp.status_code == 302
        assert parse_qs(urlsplit(resp.headers["location"]).query)["error"] == ["invalid_target"]
    unknown_scope = http.get(app.authorization_url("calendar", "calendar.admin"))
    assert "error=invalid_scope" in unknown_scope.headers["location"]


def test_wrong_pkce_verifier_and_replayed_code_are_refused(
    dev: DevGateway, http: httpx2.Client
) -> None:
    app = App(dev, http).register()
    result = dev.browser_consent(
        app.authorization_url("calendar", "calendar.read"), "alice", follow_callback=False
    )
    assert result.callback_url is not None
    wrong = app.exchange(result.callback_url, verifier=secrets.token_urlsafe(48))
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_grant"

    result = dev.browser_consent(
        app.authorization_url("calendar", "calendar.read"), "alice", follow_callback=False
    )
    assert result.callback_url is not None
    first = app.exchange(result.callback_url)
    assert first.status_code == 200
    replay = app.exchange(result.callback_url)
    assert replay.status_code == 401
    assert replay.json()["error"] == "invalid_grant"
    # A replayed code revokes what it issued (RFC 6749 §4.1.2).
    url = dev.oauth_server_url("calendar")
    revoked = _call(http, url, first.json()["access_token"], "calendar_whoami")
    assert revoked.status_code == 401


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_grant(
    dev: DevGateway, http: httpx2.Client
) -> None:
    app = App(dev, http).register()
    first = app.grant("alice", "calendar", "calendar.read")
    before = _whoami(http, dev, first["access_token"])["token_id"]
    dev.expire_access_token("alice", "calendar")
    url = dev.oauth_server_url("calendar")
    assert _call(http, url, first["access_token"], "calendar_whoami").status_code == 401

    second = app.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert second.status_code == 200
    fresh = second.json()
    assert fresh["refresh_token"] != first["refresh_token"]
    assert _whoami(http, dev, fresh["access_token"])["token_id"] != before

    reused = app.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reused.status_code == 401
    assert reused.json()["error"] == "invalid_grant"
    # Someone kept a rotated-out refresh token: the whole grant is gone.
    assert _call(http, url, fresh["access_token"], "calendar_whoami").status_code == 401
    gone = app.token(grant_type="refresh_token", refresh_token=fresh["refresh_token"])
    assert gone.status_code == 401


def test_a_tool_needing_a_larger_scope_answers_403_insufficient_scope(
    dev: DevGateway, http: httpx2.Client
) -> None:
    app = App(dev, http).register()
    url = dev.oauth_server_url("calendar")
    narrow = app.grant("alice", "calendar", "calendar.read")["access_token"]
    args = {"title": "Retro", "start": "2026-12-04T10:00"}
    create = call("create_event", args)
    resp = http.post(url, json=create, headers=headers(narrow))
    assert resp.status_code == 403
    www = resp.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in www
    assert 'scope="calendar.read calendar.write"' in www
    assert "resource_metadata=" in www
    assert _call(http, url, narrow, "list_events").status_code == 200

    wide = app.grant("alice", "calendar", "calendar.read calendar.write")["access_token"]
    made = http.post(url, json=create, headers=headers(wide))
    assert made.status_code == 200
    assert made.json()["result"]["structuredContent"]["owner"] == "alice@example.com"


def test_revocation_drops_access_and_refresh_together(dev: DevGateway, http: httpx2.Client) -> None:
    app = App(dev, http).register()
    token = app.grant("bob", "calendar", "calendar.read")
    assert _whoami(http, dev, token["access_token"])["user"] == "bob@example.com"
    form = {"token": token["access_token"], "client_id": app.client_id,
            "client_secret": app.client_secret}  # fmt: skip
    assert http.post(f"{dev.upstream_url}/revoke", data=form).status_code == 200
    url = dev.oauth_server_url("calendar")
    assert _call(http, url, token["access_token"], "calendar_whoami").status_code == 401
    refresh = app.token(grant_type="refresh_token", refresh_token=token["refresh_token"])
    assert refresh.status_code == 401


def test_a_token_is_refused_by_any_other_resource(dev: DevGateway, http: httpx2.Client) -> None:
    app = App(dev, http).register()
    calendar = app.grant("alice", "calendar", "calendar.read")["access_token"]
    inbox = app.grant("alice", "inbox", "mail.read")["access_token"]
    inbox_url = dev.oauth_server_url("inbox")
    refused = _call(http, inbox_url, calendar, "mail_whoami")
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    mine = _call(http, inbox_url, inbox, "list_messages")
    assert mine.json()["result"]["structuredContent"]["owner"] == "alice@example.com"


def test_the_mcp_sdk_oauth_client_runs_the_flow_and_steps_up(dev: DevGateway) -> None:
    """Interop: the MCP SDK's own OAuth client (discovery, DCR, PKCE, step-up)."""
    import asyncio

    from fastmcp import Client
    from mcp.client.auth import OAuthClientProvider
    from mcp.client.auth.oauth2 import AuthorizationCodeResult
    from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

    class Memory:
        tokens: OAuthToken | None = None
        client: OAuthClientInformationFull | None = None

        async def get_tokens(self) -> OAuthToken | None:
            return self.tokens

        async def set_tokens(self, tokens: OAuthToken) -> None:
            self.tokens = tokens

        async def get_client_info(self) -> OAuthClientInformationFull | None:
            return self.client

        async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
            self.client = client_info

    callbacks: list[str] = []

    async def redirect(url: str) -> None:
        result = await dev.abrowser_consent(url, "bob", follow_callback=False)
        assert result.callback_url is not None
        callbacks.append(result.callback_url)

    async def callback() -> AuthorizationCodeResult:
        query = parse_qs(urlsplit(callbacks[-1]).query)
        return AuthorizationCodeResult(code=query["code"][0], state=query["state"][0])

    async def run() -> tuple[Any, Any]:
        url = dev.oauth_server_url("calendar")
        meta = OAuthClientMetadata(client_name="SDK client", redirect_uris=[REDIRECT])  # type: ignore[list-item]
        auth = OAuthClientProvider(url, meta, Memory(), redirect, callback)
        async with Client(url, auth=auth) as client:
            who = await client.call_tool("calendar_whoami", {})
            made = await client.call_tool(
                "create_event", {"title": "Sync", "start": "2026-12-05T09:00"}
            )
        return who.structured_content, made.structured_content

    who, made = asyncio.run(run())
    assert who["user"] == "bob@example.com"
    assert who["scopes"] == ["calendar.read"]
    assert made["owner"] == "bob@example.com"
    assert len(callbacks) == 2  # the first consent, then the step-up


def test_the_cli_banner_shows_the_direct_url(dev: DevGateway) -> None:
    from mcp_gateway_tools.devgateway._cli import _banner

    banner = _banner(dev, "deleted at exit")
    assert f"{dev.oauth_server_url('calendar')}  (OAuth-protected" in banner
    assert dev.url("calendar") not in banner
    assert dev.url("mail") in banner


def test_config_keeps_mcp_oauth_to_hosted_samples_outside_virtual_servers() -> None:
    remote = (
        CONFIG + '\n[servers.far]\nurl = "http://127.0.0.1:9/mcp"\nauth = { type = "mcp-oauth" }\n'
    )
    with pytest.raises(ConfigError, match="needs a 'sample' server"):
        parse_config(remote)
    virtual = CONFIG + '\n[virtual_servers.mix]\ntools = ["calendar.list_events"]\n'
    with pytest.raises(ConfigError, match="cannot proxy it"):
        parse_config(virtual)


@pytest.mark.browser
def test_sign_in_and_consent_in_a_real_browser(
    dev: DevGateway, http: httpx2.Client, chromium_path: str
) -> None:
    """Chromium signs in as alice, sees who asks for what, approves, and lands on the
    app's redirect URI with a code for alice (though ``login_hint`` names bob)."""
    from playwright.sync_api import sync_playwright

    app = App(dev, http).register("Browser App")
    link = app.authorization_url("calendar", "calendar.read", login_hint="bob@example.com")
    landed: list[str] = []

    def app_callback(route: Any) -> None:
        landed.append(route.request.url)
        route.fulfill(body="app callback")

    with sync_playwright() as pw:
        browser = launch_chromium(pw, chromium_path)
        try:
            page = browser.new_page()
            page.route(f"{REDIRECT}**", app_callback)
            page.goto(link)
            page.fill("#password", dev.tokens.user("alice"))
            page.click("#sign-in")
            page.wait_for_selector("main[data-outcome='consent']")
            assert page.locator("#user").inner_text() == "alice@example.com"
            assert "Browser App" in page.locator("#requester").inner_text()
            assert page.locator("#scopes").inner_text() == "calendar.read"
            page.click("#approve")
            page.wait_for_url(f"{REDIRECT}**")
        finally:
            browser.close()
    assert landed
    assert "code=" in landed[0]
    token = app.exchange(landed[0]).json()
    assert _whoami(http, dev, token["access_token"])["user"] == "alice@example.com"
