"""End to end in a real headless browser: open the consent link, click Approve.

Uses Debian's chromium (the Playwright download is not available here); CI installs
it with apt-get. The test skips, with the reason, only when no browser can be found.
"""

from __future__ import annotations

from typing import Any

import pytest

from mcp_gateway_tools.devgateway import DevGateway
from tests.support.browser import launch_chromium

from .helpers import INITIALIZE, call, headers

pytestmark = pytest.mark.browser


def test_consent_in_a_real_browser(devgateway: DevGateway, http: Any, chromium_path: str) -> None:
    from playwright.sync_api import sync_playwright

    token = devgateway.tokens.user("alice")
    resp = http.post(devgateway.url("mail"), json=INITIALIZE, headers=headers(token))
    assert resp.status_code == 401
    link = resp.json()["authorization_urls"]["mail"]
    deny_link = devgateway.authorization_url("bob", "calendar")

    with sync_playwright() as pw:
        browser = launch_chromium(pw, chromium_path)
        try:
            page = browser.new_page()
            page.goto(link)
            assert page.locator("#server").inner_text() == "Mail"
            assert page.locator("#user").inner_text() == "alice@example.com"
            assert "mail.read" in page.locator("#scopes").inner_text()
            page.click("#approve")
            page.wait_for_selector("main[data-outcome='granted']")
            assert "Mail is now connected" in page.content()

            page.goto(link)  # replay
            page.wait_for_selector("main[data-outcome='used']")

            page.goto(deny_link)
            page.click("#deny")
            page.wait_for_selector("main[data-outcome='denied']")
        finally:
            browser.close()

    assert devgateway.grants() == [("alice@example.com", "mail")]
    ok = http.post(devgateway.url("mail"), json=call("mail_whoami"), headers=headers(token))
    assert ok.json()["result"]["structuredContent"]["user"] == "alice@example.com"
