"""The front door on both ports: Host guard, anti-framing pages, JSON error bodies."""

from __future__ import annotations

from typing import Any

import pytest

from mcp_gateway_tools.devgateway import DevGateway

from .helpers import INITIALIZE, headers


def test_the_upstream_port_refuses_a_foreign_host_header(devgateway: DevGateway, http: Any) -> None:
    """DNS rebinding against the provider's port: a page on evil.example resolving to
    127.0.0.1 must not reach the mock provider or the sample servers."""
    for path in ("/oauth/authorize?client_id=x", "/samples/knowledge/mcp"):
        resp = http.get(f"{devgateway.upstream_url}{path}", headers={"Host": "evil.example"})
        assert resp.status_code == 421
        assert resp.json()["error"]["type"] == "MisdirectedRequestError"
    ok = http.get(f"{devgateway.upstream_url}/oauth/authorize?client_id=x")
    assert ok.status_code == 400  # reached the provider: unknown client


def _html_pages(devgateway: DevGateway, http: Any) -> list[Any]:
    """One of each page: consent screen, outcome page, refusal page, provider error."""
    resp = http.post(
        devgateway.url("mail"), json=INITIALIZE, headers=headers(devgateway.tokens.user("bob"))
    )
    link = resp.json()["authorization_urls"]["mail"]
    consent_screen = http.get(link, follow_redirects=True)
    used = http.get(link)
    unknown = http.get(f"{devgateway.base_url}/consent/nope")
    bad_callback = http.get(f"{devgateway.base_url}/oauth/callback?state=x")
    provider_error = http.get(f"{devgateway.upstream_url}/oauth/authorize?client_id=x")
    return [consent_screen, used, unknown, bad_callback, provider_error]


def test_every_html_page_forbids_framing(devgateway: DevGateway, http: Any) -> None:
    pages = _html_pages(devgateway, http)
    assert {p.status_code for p in pages} == {200, 400, 404, 410}
    for page in pages:
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("method", "path", "status", "kind"),
    [
        ("GET", "/nowhere", 404, "NotFoundError"),
        ("GET", "/mcp/knowledge/tools", 404, "NotFoundError"),
        ("POST", "/healthz", 405, "MethodNotAllowedError"),
    ],
)
def test_routing_misses_get_the_gateway_error_body(
    devgateway: DevGateway, http: Any, method: str, path: str, status: int, kind: str
) -> None:
    resp = http.request(method, f"{devgateway.base_url}{path}")
    assert resp.status_code == status
    assert resp.json()["error"]["type"] == kind


def test_an_unexpected_failure_is_a_500_json_body_without_a_trace(
    devgateway: DevGateway, http: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(authorization: str | None) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(devgateway._b.gateway.auth, "authenticate", broken)
    resp = http.post(
        devgateway.url("knowledge"), json=INITIALIZE, headers=headers(devgateway.tokens.service)
    )
    assert resp.status_code == 500
    assert resp.json()["error"]["type"] == "InternalError"
    assert "secret internals" not in resp.text
    assert "Traceback" not in resp.text
