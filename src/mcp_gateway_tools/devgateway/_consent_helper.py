"""Browser-less consent: the exact HTTP steps a browser performs, for tests and notebooks.

Doing the real steps (401 -> link -> provider consent page -> form POST -> redirect to
the gateway callback) instead of writing a grant directly means the helper exercises
the same code path as a person clicking Approve; only the clicking is automated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx2

__all__ = ["ConsentError", "ConsentResult", "run_consent"]

_OUTCOME = re.compile(r"data-outcome='([^']*)'")
_MESSAGE = re.compile(r"<p id='message'>(.*?)</p>", re.S)
_REQUEST_ID = re.compile(r"name='request_id' value='([^']*)'")
_ACTION = re.compile(r"<form method='post' action='([^']*)'")
_INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "devgateway-consent-helper", "version": "1"},
    },
}


class ConsentError(RuntimeError):
    """Consent did not end with a stored grant."""


@dataclass(frozen=True)
class ConsentResult:
    """How the flow ended: ``outcome`` is granted, denied, used, expired, wrong-user, ..."""

    outcome: str
    status: int
    message: str

    @property
    def granted(self) -> bool:
        return self.outcome in ("granted", "already-granted")


def _result(resp: httpx2.Response) -> ConsentResult:
    outcome = _OUTCOME.search(resp.text)
    message = _MESSAGE.search(resp.text)
    return ConsentResult(
        outcome.group(1) if outcome else "unknown",
        resp.status_code,
        message.group(1) if message else "",
    )


async def _get_link(http: httpx2.AsyncClient, url: str, token: str) -> str | None:
    resp = await http.post(
        url,
        json=_INIT,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json, text/event-stream",
        },
    )
    if resp.status_code == 200:
        return None
    body = (
        resp.json() if resp.headers.get("content-type", "").startswith("application/json") else {}
    )
    urls = body.get("authorization_urls") if isinstance(body, dict) else None
    if resp.status_code != 401 or not isinstance(urls, dict) or not urls:
        raise ConsentError(f"expected a 401 with a consent link from {url}, got {resp.status_code}")
    return str(next(iter(urls.values())))


async def run_consent(
    *, url: str, token: str, link: str | None, approve: bool, check: bool
) -> ConsentResult:
    """Run the consent flow for the user holding ``token`` on the MCP endpoint ``url``."""
    async with httpx2.AsyncClient(timeout=15.0, follow_redirects=False) as http:
        if link is None:
            link = await _get_link(http, url, token)
            if link is None:
                return ConsentResult("already-granted", 200, "The user already has a grant.")
        # The gateway knows the browser's user (here: by its token, like a session).
        resp = await http.get(link, headers={"Authorization": f"Bearer {token}"})
        if resp.status_code in (302, 303):
            # The provider's consent page: a different site, no gateway credentials.
            page_url = resp.headers["location"]
            resp = await http.get(page_url)
            request_id = _REQUEST_ID.search(resp.text)
            action = _ACTION.search(resp.text)
            if resp.status_code == 200 and request_id and action:
                resp = await http.post(
                    urljoin(page_url, action.group(1)),
                    data={
                        "request_id": request_id.group(1),
                        "decision": "approve" if approve else "deny",
                    },
                )
                while resp.status_code in (302, 303):
                    resp = await http.get(urljoin(str(resp.url), resp.headers["location"]))
        result = _result(resp)
    if check and approve and not result.granted:
        raise ConsentError(f"consent ended with {result.outcome!r}: {result.message}")
    return result
