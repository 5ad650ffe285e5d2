"""A browser-playing driver for the ``mcp-oauth`` authorization server.

Given the authorization URL an app shows its user, it does what the user's browser
would: follows the redirects to the sign-in page, signs in with the user's credential,
approves (or denies) on the consent page and, when asked, follows the final redirect
to the app's callback, with the headers the app needs to know its signed-in user.
Plain HTTP with a cookie jar (httpx2); the pages' HTML is what a person would see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx2

__all__ = ["BrowserConsent", "run_browser_consent"]

_OUTCOME = re.compile(r"data-outcome='([^']*)'")
_REQUEST_ID = re.compile(r"name='request_id' value='([^']*)'")
_MAX_HOPS = 10


@dataclass(frozen=True)
class BrowserConsent:
    """Where the browser ended.

    ``outcome``: ``"approved"`` / an OAuth ``error`` (``"access_denied"``...) when the
    authorization server sent the browser back to the app; else the outcome of the page
    it stopped on (``"login"`` after a refused sign-in, ``"expired"``...).
    ``callback_url`` is the app's redirect URI with ``code``/``state`` (or ``error``);
    ``status``/``text`` are those of the last page loaded (the callback's, if followed).
    """

    outcome: str
    callback_url: str | None
    status: int
    text: str

    @property
    def approved(self) -> bool:
        return self.outcome == "approved"


def _outcome_of_callback(url: str) -> str:
    query = parse_qs(urlsplit(url).query)
    if "code" in query:
        return "approved"
    return query.get("error", ["unknown"])[0]


async def _follow(
    http: httpx2.AsyncClient, resp: httpx2.Response, issuer_origin: str
) -> tuple[httpx2.Response, str | None]:
    """Follow redirects on the authorization server; stop at the first one leaving it."""
    for _ in range(_MAX_HOPS):
        if resp.status_code not in (301, 302, 303, 307, 308):
            return resp, None
        target = urljoin(str(resp.url), resp.headers["location"])
        if _origin(target) != issuer_origin:
            return resp, target
        resp = await http.get(target)
    raise RuntimeError("too many redirects on the authorization server")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def run_browser_consent(
    *,
    url: str,
    password: str,
    approve: bool,
    follow_callback: bool,
    callback_headers: dict[str, str] | None,
) -> BrowserConsent:
    """Sign in with ``password`` and decide on the consent page reached from ``url``."""
    async with httpx2.AsyncClient(timeout=15.0, follow_redirects=False) as http:
        first = await http.get(url)
        origin = _origin(str(first.url))
        resp, leaving = await _follow(http, first, origin)
        for form_step in ("login", "consent"):
            if leaving is not None:
                break
            request_id = _REQUEST_ID.search(resp.text)
            outcome = _OUTCOME.search(resp.text)
            if request_id is None or outcome is None or outcome.group(1) != form_step:
                break
            base = str(resp.url)
            if form_step == "login":
                data = {"request_id": request_id.group(1), "password": password}
                posted = await http.post(urljoin(base, "/as/login"), data=data)
            else:
                decision = "approve" if approve else "deny"
                data = {"request_id": request_id.group(1), "decision": decision}
                posted = await http.post(urljoin(base, "/as/consent"), data=data)
            resp, leaving = await _follow(http, posted, origin)
        if leaving is None:
            page = _OUTCOME.search(resp.text)
            return BrowserConsent(
                page.group(1) if page else "unknown", None, resp.status_code, resp.text
            )
        if not follow_callback:
            return BrowserConsent(_outcome_of_callback(leaving), leaving, resp.status_code, "")
        landed = await http.get(leaving, headers=callback_headers or {})
        return BrowserConsent(
            _outcome_of_callback(leaving), leaving, landed.status_code, landed.text
        )
