"""The web demo in a real browser: Alice and Bob at once, consent, auto-resume, approval.

Everything is asserted from what the pages show. Bob's "list my mail" shows a Connect
Mail button (from the interrupt's payload); "Not now" ends the run without Mail; the
consent page opens in a new tab; once he approves there, his run resumes by itself
and shows his own inbox. Sending mail
waits for Approve / Reject, and both work. Alice, in another browser context at the
same time, never sees anything of Bob's. No dev token appears in any page, in the
recorded network traffic (a HAR with bodies, plus every SSE message) or in the app's DEBUG log.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from mcp_gateway_tools.devgateway import default_config
from tests.support.timing import scaled
from tests.webapp.conftest import WebDemo, dev_tokens

pytestmark = pytest.mark.browser

WAIT = scaled(30) * 1000  # Playwright takes milliseconds


_CHALLENGE = re.compile(r"bearer(?= (?:scope|error|realm|resource_metadata)=)", re.I)


def bearer_values(text: str) -> list[str]:
    """Every ``Bearer <value>`` in ``text``; a server's challenge (``WWW-Authenticate:
    Bearer scope=...``, which the calendar server sends and httpx logs at DEBUG) names
    no credential and is not one."""
    return re.findall(r"bearer\s+\S+", _CHALLENGE.sub("", text), re.I)


def sign_in(context: Any, url: str, user: str, sse: list[str] | None = None) -> Any:
    """A page signed in as ``user``; every SSE message it receives is added to ``sse``
    (from Chromium's network events: a HAR holds no body of a stream still open)."""
    page = context.new_page()
    if sse is not None:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.eventSourceMessageReceived", lambda event: sse.append(event["data"]))
    page.goto(url)
    page.click(f"button.signin[data-user='{user}']")
    page.wait_for_selector("#chat:not([hidden])")
    page.wait_for_function("document.querySelector('#send') !== null")
    return page


def say(page: Any, text: str) -> None:
    page.fill("#text", text)
    page.click("#send")


def answer(page: Any, containing: str) -> str:
    """The text of the (last) answer containing ``containing``, once it is shown."""
    item = page.locator("li.answer", has_text=containing).last
    item.wait_for(timeout=WAIT)
    return str(item.inner_text())


def test_bob_connects_mail_and_his_run_resumes_by_itself_while_alice_is_unaffected(
    web_demo: WebDemo, browser: Any, tmp_path: Path
) -> None:
    url = web_demo.urls[0]
    alice_ctx = browser.new_context(record_har_path=str(tmp_path / "alice.har"))
    bob_ctx = browser.new_context(record_har_path=str(tmp_path / "bob.har"))
    sse: list[str] = []
    alice, bob = sign_in(alice_ctx, url, "alice", sse), sign_in(bob_ctx, url, "bob", sse)
    assert "scripted" in alice.inner_text("#model")

    say(alice, "list my mail")
    say(bob, "list my mail")
    assert "Q3 roadmap review" in answer(alice, "Inbox of alice@example.com")

    card = bob.locator("li.card.authorization:not(.done)")
    card.locator("a.connect").wait_for(timeout=WAIT)
    assert alice.locator("li.card").count() == 0  # Bob's pause is Bob's alone
    card.locator("button.decline").click()  # "Not now": the run ends without Mail
    assert "not now" in answer(bob, "Understood: not now")

    say(bob, "list my mail")
    connect = bob.locator("li.card.authorization:not(.done) a.connect")
    connect.wait_for(timeout=WAIT)
    assert connect.inner_text() == "Connect Mail"
    assert connect.get_attribute("target") == "_blank"

    say(alice, "what is on my calendar?")  # Alice goes on while Bob is paused
    assert "Roadmap review" in answer(alice, "Calendar of alice@example.com")

    with bob_ctx.expect_page() as opened:
        connect.click()
    consent = opened.value
    consent.wait_for_selector("#approve", timeout=WAIT)
    assert consent.locator("#user").inner_text() == "bob@example.com"
    consent.click("#approve")
    consent.wait_for_selector("main[data-outcome='granted']", timeout=WAIT)

    # No "done" button: the paused run resumes on its own and shows Bob's inbox.
    inbox = answer(bob, "Inbox of bob@example.com")
    assert "Invoice #4411" in inbox
    assert "Q3 roadmap review" not in bob.content()
    assert "Connected: resuming" in bob.locator("li.card.authorization").last.inner_text()

    # Sending mail waits for a person: Reject first, then Approve.
    say(bob, "send a mail to alice")
    bob.locator("li.card.approval button.reject").last.click(timeout=WAIT)
    assert "did not send" in answer(bob, "did not send")
    say(bob, "send a mail to alice")
    approve = bob.locator("li.card.approval:not(.done) button.approve")
    approve.click(timeout=WAIT)
    sent = answer(bob, "Sent from")
    assert "Sent from bob@example.com to alice@example.com" in sent
    assert bob.locator("li.card.approval.done").count() == 2
    said = ["list my mail", "list my mail", "send a mail to alice", "send a mail to alice"]
    assert bob.locator("li.user").all_inner_texts() == said

    bob.reload()  # a page opened later shows the same thread: each line once
    answer(bob, "Sent from")
    assert bob.locator("li.user").all_inner_texts() == said
    assert bob.locator("li.answer", has_text="Inbox of bob@example.com").count() == 1
    assert bob.locator("li.card:not(.done)").count() == 0  # nothing is pending any more

    alice_text = alice.content()
    assert "bob@example.com" not in alice.locator("li.answer").all_inner_texts()[-1]
    assert "Invoice #4411" not in alice_text
    assert alice.locator("li.card").count() == 0

    pages = [alice_text, bob.content(), consent.content()]
    for page in (alice, bob):
        pages += [page.request.get(f"{url}static/app.js").text(), page.content()]
    alice_ctx.close()
    bob_ctx.close()  # writes the HAR files
    har = (tmp_path / "alice.har").read_text() + (tmp_path / "bob.har").read_text()
    network = har + "\n".join(sse)
    assert "/api/events" in har
    assert "Invoice #4411" in network  # the SSE messages were captured
    logs = web_demo.logs()
    assert " DEBUG " in logs  # the log really is at DEBUG
    assert not bearer_values(logs)  # no Authorization value of any kind, either
    assert not bearer_values(network)
    for token in dev_tokens():
        assert all(token not in text for text in pages), "a token reached a page"
        assert token not in network, "a token crossed the network to the browser"
        assert token not in logs, "a token reached the app's log"


SIGN_IN_HINT = "e.g. <code>dev-pat-alice</code>"  # the dev AS's sign-in page shows it


def without_sign_in_posts(har: str, origin: str) -> str:
    """The HAR's text minus the authorization server's own sign-in form posts (that form
    carries the user's dev credential to the AS's origin, its password, as any sign-in
    form does) and minus the example credential its sign-in page prints as a hint.
    Everything else (the app's pages, API, SSE, the AS's other pages) is kept."""
    log = json.loads(har)["log"]
    log["entries"] = [
        e
        for e in log["entries"]
        if not (e["request"]["method"] == "POST" and e["request"]["url"].startswith(origin))
    ]
    for entry in log["entries"]:
        content = entry["response"].get("content", {})
        if entry["request"]["url"].startswith(origin) and "text" in content:
            content["text"] = content["text"].replace(SIGN_IN_HINT, "")
    return json.dumps(log)


def test_bob_connects_calendar_through_the_app_and_his_run_resumes_with_his_own_calendar(
    web_demo: WebDemo, browser: Any, tmp_path: Path
) -> None:
    url = web_demo.urls[0]
    context = browser.new_context(record_har_path=str(tmp_path / "bob.har"))
    sse: list[str] = []
    bob = sign_in(context, url, "bob", sse)
    say(bob, "what is on my calendar?")
    card = bob.locator("li.card.authorization:not(.done)")
    connect = card.locator("a.connect")
    connect.wait_for(timeout=WAIT)
    assert connect.inner_text() == "Connect Calendar"
    assert card.locator(".by-app").inner_text() == "authorized by this app"
    link = str(connect.get_attribute("href"))
    assert not link.startswith(url)  # the calendar's own authorization server
    as_origin = "{0.scheme}://{0.netloc}".format(urlsplit(link))

    with context.expect_page() as opened:
        connect.click()
    signin = opened.value
    signin.wait_for_selector("#password", timeout=WAIT)
    bob_password = default_config().users["bob"].tokens[0]  # the dev AS's sign-in
    signin.fill("#password", bob_password)
    signin.click("#sign-in")
    signin.click("#approve", timeout=WAIT)
    signin.wait_for_url(f"{url}oauth/callback*", timeout=WAIT)  # back at the app
    assert "You can close this window" in signin.inner_text("body")

    calendar = answer(bob, "Calendar of bob@example.com")  # resumed by itself
    assert "Calendar of alice@example.com" not in bob.content()
    assert "Connected: resuming" in bob.locator("li.card.authorization").last.inner_text()

    pages = [bob.content(), signin.content(), calendar]
    context.close()  # writes the HAR
    network = without_sign_in_posts((tmp_path / "bob.har").read_text(), as_origin)
    network += "\n".join(sse)
    assert "/oauth/callback" in network
    assert "Calendar of bob@example.com" in network
    logs = web_demo.logs()
    assert not bearer_values(logs)
    assert not bearer_values(network)
    for token in dev_tokens():
        assert all(token not in text for text in pages), "a token reached a page"
        assert token not in network, "a token crossed the network to the browser"
        assert token not in logs, "a token reached the app's log"
    for name in ("access_token", "refresh_token"):
        assert name not in network
        assert name not in logs


def test_a_consent_started_on_one_worker_resumes_on_the_other(
    web_demo_two_workers: WebDemo, browser: Any
) -> None:
    first, second = web_demo_two_workers.urls
    context = browser.new_context()
    bob = sign_in(context, first, "bob")
    assert bob.inner_text("#worker") == "worker 1"
    say(bob, "list my mail")
    connect = bob.locator("li.card.authorization a.connect").last
    connect.wait_for(timeout=WAIT)
    with context.expect_page() as opened:
        connect.click()  # the consent starts from worker 1's page
    consent = opened.value
    consent.wait_for_selector("#approve", timeout=WAIT)

    # Bob's page moves to worker 2 (same session cookie: both workers share the
    # secret); worker 1 has no page of his left, so it stops waiting.
    bob.goto(second)
    bob.wait_for_selector("#chat:not([hidden])")
    assert bob.inner_text("#worker") == "worker 2"
    # Worker 2 shows the pause it read from the shared checkpointer...
    bob.locator("li.card.authorization a.connect").last.wait_for(timeout=WAIT)
    consent.click("#approve")
    consent.wait_for_selector("main[data-outcome='granted']", timeout=WAIT)
    # ...and resumes it once the consent works.
    assert "Invoice #4411" in answer(bob, "Inbox of bob@example.com")
    assert bob.locator("li.user").all_inner_texts() == ["list my mail"]
    context.close()
    logs = web_demo_two_workers.logs()
    assert "worker 2 resumes user=bob after consent" in logs
    assert "worker 1 resumes" not in logs


def test_an_app_run_consent_issued_on_one_worker_resumes_the_run_on_the_other(
    web_demo_two_workers: WebDemo, browser: Any
) -> None:
    first, second = web_demo_two_workers.urls
    context = browser.new_context()
    bob = sign_in(context, first, "bob")
    say(bob, "what is on my calendar?")
    connect = bob.locator("li.card.authorization:not(.done) a.connect")
    connect.wait_for(timeout=WAIT)
    with context.expect_page() as opened:
        connect.click()  # the consent starts from worker 1's page
    signin = opened.value
    signin.wait_for_selector("#password", timeout=WAIT)

    bob.goto(second)  # his page moves to worker 2, which now waits for the consent
    bob.wait_for_selector("#chat:not([hidden])")
    bob.locator("li.card.authorization:not(.done) a.connect").wait_for(timeout=WAIT)
    signin.fill("#password", default_config().users["bob"].tokens[0])
    signin.click("#sign-in")
    signin.click("#approve", timeout=WAIT)
    # The link (kept in the shared store) may be either worker's: so is the callback.
    callbacks = "|".join(re.escape(f"{u}oauth/callback") for u in (first, second))
    signin.wait_for_url(re.compile(f"^(?:{callbacks})"), timeout=WAIT)
    assert "You can close this window" in signin.inner_text("body")
    # The grant is in the shared encrypted store; worker 2's wait sees it.
    assert "Calendar of bob@example.com" in answer(bob, "Calendar of bob@example.com")
    context.close()
    assert "worker 2 resumes user=bob after consent" in web_demo_two_workers.logs()


def test_the_api_answers_only_its_own_signed_session_and_json(web_demo: WebDemo) -> None:
    import httpx2

    url = web_demo.urls[0]
    with httpx2.Client(base_url=url, timeout=scaled(10)) as http:
        page = http.get("/")
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert http.get("/api/events").status_code == 401
        forged = {"cookie": "mgt_demo_session=eyJ1IjogImJvYiIsICJ0IjogMH0.AAAA"}
        assert http.post("/api/chat", json={"text": "hi"}, headers=forged).status_code == 401
        # A cross-site form cannot sign anyone in: JSON only.
        assert http.post("/api/login", data={"user": "bob"}).status_code == 400
        login = http.post("/api/login", json={"user": "bob"})
        cookie = login.headers["set-cookie"]
        assert "httponly" in cookie.lower()
        assert "samesite=strict" in cookie.lower()
        assert all(token not in cookie for token in dev_tokens())
        plain = http.post("/api/chat", content="hi", headers={"content-type": "text/plain"})
        assert plain.status_code == 409
        assert http.post("/api/login", json={"user": "mallory"}).status_code == 400
