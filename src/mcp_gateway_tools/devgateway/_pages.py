"""Minimal HTML pages for the consent flow (consent screen and outcome pages).

Plain HTML with escaped values and no scripts: the pages must work in any browser,
in Playwright, and for the browser-less consent helper that parses the form. Every
page forbids framing (``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'``):
a consent screen inside another site's frame is a clickjacking target.
"""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

__all__ = ["PAGE_HEADERS", "consent_page", "login_page", "message_page"]

# Sent with every HTML page: no caching, no referrer, no framing, nothing but our style.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        # No form-action: the provider's form redirects to the gateway (another port).
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
}

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}"
    "button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}"
    ".scopes li{font-family:monospace}"
)


def _html(title: str, body: str, status: int) -> HTMLResponse:
    doc = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return HTMLResponse(doc, status_code=status, headers=PAGE_HEADERS)


def message_page(
    title: str, message: str, *, status: int = 200, outcome: str = "info"
) -> HTMLResponse:
    """An outcome page; ``data-outcome`` lets tests and the helper read the result."""
    body = (
        f"<main data-outcome='{escape(outcome)}'><h1>{escape(title)}</h1>"
        f"<p id='message'>{escape(message)}</p></main>"
    )
    return _html(title, body, status)


def consent_page(
    *,
    action: str,
    request_id: str,
    display_name: str,
    user: str,
    scopes: list[str],
    requester: str = "The MCP dev gateway",
) -> HTMLResponse:
    """The provider's consent screen: who, what, which scopes, Approve or Deny."""
    items = "".join(f"<li>{escape(s)}</li>" for s in scopes) or "<li>(no scopes)</li>"
    body = (
        "<main data-outcome='consent'>"
        f"<h1>Connect {escape(display_name)}</h1>"
        f"<p><span id='requester'>{escape(requester)}</span> asks for access to "
        "<strong id='server'>"
        f"{escape(display_name)}</strong> on behalf of <strong id='user'>{escape(user)}"
        "</strong>.</p>"
        f"<p>Requested scopes:</p><ul class='scopes' id='scopes'>{items}</ul>"
        f"<form method='post' action='{escape(action)}'>"
        f"<input type='hidden' name='request_id' value='{escape(request_id)}'>"
        "<button type='submit' name='decision' value='approve' id='approve'>Approve</button>"
        "<button type='submit' name='decision' value='deny' id='deny'>Deny</button>"
        "</form></main>"
    )
    return _html(f"Connect {display_name}", body, 200)


def login_page(*, action: str, request_id: str, display_name: str, error: str = "") -> HTMLResponse:
    """The authorization server's sign-in form: who consents is who signs in here.

    The password is the user's dev gateway access token (or an IdP JWT): the identity
    comes from a credential, never from a parameter of the authorization request.
    """
    note = f"<p id='error' role='alert'>{escape(error)}</p>" if error else ""
    body = (
        "<main data-outcome='login'>"
        f"<h1>Sign in to connect {escape(display_name)}</h1>{note}"
        f"<form method='post' action='{escape(action)}'>"
        f"<input type='hidden' name='request_id' value='{escape(request_id)}'>"
        "<p><label>Access token (e.g. <code>dev-pat-alice</code>)<br>"
        "<input type='password' name='password' id='password' autocomplete='off' required>"
        "</label></p>"
        "<button type='submit' id='sign-in'>Sign in</button>"
        "</form></main>"
    )
    return _html(f"Sign in: {display_name}", body, 401 if error else 200)
