"""No token, code or verifier in logs, exceptions, observations or reprs (DESIGN §5).

A whole life of a grant runs with every logger at DEBUG: link, callback, calls,
refresh, a refused exchange, a denied callback, disconnect. Then every secret the
authorization server issued (access and refresh tokens, codes) and the state's
PKCE verifier are looked for in what was logged and in what was raised.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from mcp_gateway_tools import (
    AuthorizationDenied,
    AuthorizationRequired,
    GatewayError,
    InvalidAuthorizationState,
    TokenRequestFailed,
    app_user,
)
from tests.oauth.conftest import OAuthApp
from tests.oauth.servers import callback_url
from tests.oauth.test_flow import link_for

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def unlogged_browser(link: str, prefix: str) -> str:
    """The test's browser step, with the HTTP client loggers off: the browser's own
    request lines carry the code in the callback URL, which is the browser's business;
    the library's requests (token, revocation) stay logged and scanned."""
    loggers = [logging.getLogger(name) for name in ("httpx2", "httpcore2")]
    for logger in loggers:
        logger.setLevel(logging.WARNING)  # their child loggers inherit it
    try:
        return await callback_url(link, callback_prefix=prefix)
    finally:
        for logger in loggers:
            logger.setLevel(logging.NOTSET)


def shown(error: BaseException) -> str:
    """Everything an error exposes: message, repr, observation, and no chain."""
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
    observation = error.to_observation() if isinstance(error, GatewayError) else {}
    return f"{error}\n{error!r}\n{observation}"


async def test_a_grants_whole_life_leaks_no_secret(
    oauth_app: OAuthApp, caplog: pytest.LogCaptureFixture, protected: str
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    gateway = oauth_app.gateway
    link = await link_for(oauth_app, "leaky")
    back = await unlogged_browser(link, oauth_app.callback_prefix)
    code = parse_qs(urlsplit(back).query)["code"][0]
    done = await gateway.complete_authorization(back, user="leaky")
    seen.append(repr(done))
    with app_user("leaky"):
        seen.append((await gateway.call_tool("docs", "whoami")).text)
    grant = await gateway._oauth.records.get_grant("leaky", protected)  # type: ignore[union-attr]
    assert grant is not None
    seen.append(repr(grant))
    secrets = {code, grant.access_token, grant.refresh_token or "-"}

    for bad in (back, back.replace(f"code={code}", "code=forged")):
        with pytest.raises(InvalidAuthorizationState) as replayed:
            await gateway.complete_authorization(bad, user="leaky")
        seen.append(shown(replayed.value))

    link = await link_for(oauth_app, "leaky2")
    state = parse_qs(urlsplit(link).query)["state"][0]
    forged = f"{oauth_app.callback_prefix}?{urlencode({'code': 'forged', 'state': state})}"
    with pytest.raises(TokenRequestFailed) as refused:
        await gateway.complete_authorization(forged, user="leaky2")
    assert refused.value.error == "invalid_grant"
    seen.append(shown(refused.value))

    link = await link_for(oauth_app, "leaky3")
    state = parse_qs(urlsplit(link).query)["state"][0]
    denied = {"error": "access_denied", "error_description": "no thanks", "state": state}
    with pytest.raises(AuthorizationDenied) as said_no:
        await gateway.complete_authorization(denied, user="leaky3")
    assert said_no.value.error == "access_denied"
    seen.append(shown(said_no.value))

    assert await gateway.disconnect("docs", user="leaky")
    with app_user("leaky"), pytest.raises(AuthorizationRequired) as again:
        await gateway.call_tool("docs", "whoami")
    seen.append(shown(again.value))
    verifier_free: Any = again.value.authorization_urls["docs"]
    assert "code_verifier" not in verifier_free

    text = caplog.text + "\n".join(seen)
    for secret in secrets:
        assert secret not in text
    assert "authorization completed" in caplog.text, "the flow was logged, just not its secrets"
