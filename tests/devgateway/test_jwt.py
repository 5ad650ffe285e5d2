"""IdP JWTs: verified against the JWKS (issuer, audience, expiry); the identity is the
email when ``email_verified`` is true, else the IdP's ``(iss, sub)``."""

from __future__ import annotations

from typing import Any

from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.devgateway._auth import TestIdp

from .helpers import INITIALIZE, call, headers


def test_jwt_identity_is_the_email(devgateway: DevGateway, http: Any) -> None:
    devgateway.consent("alice", "mail")
    jwt = devgateway.issue_jwt("alice")
    resp = http.post(devgateway.url("mail"), json=call("mail_whoami"), headers=headers(jwt))
    assert resp.status_code == 200
    assert resp.json()["result"]["structuredContent"]["user"] == "alice@example.com"


def test_jwt_for_unconfigured_email_is_a_user(devgateway: DevGateway, http: Any) -> None:
    jwt = devgateway.issue_jwt("dana@example.com")
    ok = http.post(devgateway.url("knowledge"), json=INITIALIZE, headers=headers(jwt))
    assert ok.status_code == 200
    assert (
        http.post(devgateway.url("mail"), json=INITIALIZE, headers=headers(jwt)).status_code == 401
    )
    devgateway.consent("dana@example.com", "mail")
    resp = http.post(devgateway.url("mail"), json=call("list_messages"), headers=headers(jwt))
    assert resp.json()["result"]["structuredContent"]["owner"] == "dana@example.com"


def _expect_401(
    devgateway: DevGateway, http: Any, token: str, kind: str = "InvalidTokenError"
) -> dict[str, Any]:
    resp = http.post(devgateway.url("knowledge"), json=INITIALIZE, headers=headers(token))
    assert resp.status_code == 401
    body: dict[str, Any] = resp.json()
    assert body["error"]["type"] == kind
    assert token not in resp.text
    return body


def test_expired_jwt_is_401(devgateway: DevGateway, http: Any) -> None:
    body = _expect_401(
        devgateway, http, devgateway.issue_jwt("alice", expires_in=-10), "ExpiredTokenError"
    )
    assert "expired" in body["error"]["message"]


def test_wrong_audience_is_401(devgateway: DevGateway, http: Any) -> None:
    body = _expect_401(devgateway, http, devgateway.issue_jwt("alice", audience="someone-else"))
    assert "aud" in body["error"]["message"]


def test_wrong_issuer_is_401(devgateway: DevGateway, http: Any) -> None:
    _expect_401(devgateway, http, devgateway.issue_jwt("alice", issuer="https://evil.example.com"))


def test_foreign_signing_key_is_401(devgateway: DevGateway, http: Any) -> None:
    other = TestIdp().issue(
        "alice@example.com", issuer=f"{devgateway.base_url}/idp", audience="mcp-gateway"
    )
    _expect_401(devgateway, http, other)


def test_tampered_jwt_is_401(devgateway: DevGateway, http: Any) -> None:
    header, payload, signature = devgateway.issue_jwt("alice").split(".")
    forged = ".".join([header, payload[:-4] + "AAAA", signature])
    _expect_401(devgateway, http, forged)


def test_jwt_without_sub_is_401(devgateway: DevGateway, http: Any) -> None:
    _expect_401(devgateway, http, devgateway.issue_jwt("alice", extra_claims={"sub": None}))


def _whoami_on_mail(devgateway: DevGateway, http: Any, jwt: str) -> Any:
    return http.post(devgateway.url("mail"), json=call("mail_whoami"), headers=headers(jwt))


def test_an_unverified_email_claim_is_not_the_identity(devgateway: DevGateway, http: Any) -> None:
    """An IdP account that merely *claims* Alice's address is not Alice: its identity
    is (iss, sub), so it gets its own consent link instead of Alice's mailbox."""
    devgateway.consent("alice", "mail")
    for claims in (
        {"sub": "mallory-7", "email": "alice@example.com", "email_verified": False},
        {"sub": "mallory-7", "email": "alice@example.com", "email_verified": "true"},
        {"sub": "mallory-7", "email": "alice@example.com", "email_verified": None},
    ):
        jwt = devgateway.issue_jwt("alice", extra_claims=claims)
        resp = _whoami_on_mail(devgateway, http, jwt)
        assert resp.status_code == 401, claims  # no grant for this (iss, sub)
        assert "authorization_urls" in resp.json()
    verified = devgateway.issue_jwt("alice", extra_claims={"sub": "alice-sub-1"})
    assert _whoami_on_mail(devgateway, http, verified).status_code == 200


def test_a_jwt_without_email_is_the_user_iss_sub(devgateway: DevGateway, http: Any) -> None:
    jwt = devgateway.issue_jwt("alice", extra_claims={"email": None, "sub": "alice@example.com"})
    resp = http.post(devgateway.url("knowledge"), json=INITIALIZE, headers=headers(jwt))
    assert resp.status_code == 200  # a user...
    devgateway.consent("alice", "mail")
    assert _whoami_on_mail(devgateway, http, jwt).status_code == 401  # ...but not Alice


def test_remote_jwks_url_is_fetched_and_used(http: Any) -> None:
    import socket

    from mcp_gateway_tools.devgateway import DEFAULT_CONFIG_TOML, parse_config

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    text = (
        DEFAULT_CONFIG_TOML
        + f"""
[idp]
issuer = "https://idp.example.com"
audience = "agents"
jwks_url = "{base}/idp/jwks.json"
"""
    )
    with DevGateway(parse_config(text), port=port) as gw:
        jwt = gw.issue_jwt("bob")
        ok = http.post(gw.url("knowledge"), json=INITIALIZE, headers=headers(jwt))
        assert ok.status_code == 200
        bad = gw.issue_jwt("bob", audience="mcp-gateway")
        assert (
            http.post(gw.url("knowledge"), json=INITIALIZE, headers=headers(bad)).status_code == 401
        )
