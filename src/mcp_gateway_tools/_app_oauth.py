"""The Gateway's side of OAuth run by the app for its users (``mcp_gateway_tools.oauth``).

The one hook in :meth:`Gateway._as_identity`: for a server that opted in, the call's
credential is the current app user's grant, built here in one of two shapes:

- ``OAuth(header=None)``: the user's access token is the Authorization bearer (the
  server is reached directly; no gateway token is needed or sent);
- ``OAuth(header="x-mcp-<alias>-authorization")``: the gateway credential (service key
  or user token, resolved as for any call) stays in Authorization, and the user's
  access token rides in that header (LiteLLM). The header is part of the session
  identity, so every user has their own session.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import SecretStr

from ._addressing import Addressing
from ._app_user import bound_app_user, require_app_user
from ._errors import ConfigurationError, MissingUserToken
from ._headers import _merge
from ._tokens import Credential, TokenInput, fingerprint

if TYPE_CHECKING:  # imported when a Gateway runs OAuth: `import mcp_gateway_tools` stays light
    from ._gateway import Gateway
    from .oauth._config import OAuth, OAuthClient
    from .oauth._runner import Completed, OAuthRunner

__all__ = [
    "as_identity",
    "complete",
    "disconnect",
    "principal",
    "run_as_app_user",
    "runner_for",
    "wait_fingerprint",
]

T = TypeVar("T")


def runner_for(
    config: OAuthClient | None, addressing: Addressing, verify: ssl.SSLContext, timeout: float
) -> OAuthRunner | None:
    """The Gateway's OAuth runner; a server opted in without one is a ConfigurationError."""
    if config is None:
        opted = [name for name in addressing.servers if addressing.oauth(name) is not None]
        if opted:
            raise ConfigurationError(
                f"servers {opted} use OAuth(...): give the Gateway "
                "oauth=OAuthClient(redirect_uri=...) (where users come back after consent)."
            )
        return None
    from .oauth._config import OAuthClient  # only a Gateway that runs OAuth loads it
    from .oauth._runner import OAuthRunner

    if not isinstance(config, OAuthClient):
        raise ConfigurationError("Gateway(oauth=) must be an OAuthClient(...).")
    return OAuthRunner(config, verify=verify, timeout=timeout)


def _runner(gateway: Gateway) -> OAuthRunner:
    runner: OAuthRunner | None = gateway._oauth
    if runner is None:
        raise ConfigurationError("This Gateway runs no OAuth: give it oauth=OAuthClient(...).")
    return runner


async def as_identity(
    gateway: Gateway,
    server: str,
    token: TokenInput | None,
    attempt: Callable[[Credential], Awaitable[T]],
) -> T:
    """The Gateway's one hook: an opted-in server runs as the app user, others as before."""
    oauth = gateway._addressing.oauth(server) if gateway._oauth is not None else None
    if oauth is None:
        result: T = await gateway._identities.as_identity(server, token, attempt)
        return result
    return await run_as_app_user(gateway, server, token, oauth, attempt)


async def run_as_app_user(
    gateway: Gateway,
    server: str,
    token: TokenInput | None,
    oauth: OAuth,
    attempt: Callable[[Credential], Awaitable[T]],
) -> T:
    """Run ``attempt`` with the bound app user's grant for ``server`` (see module doc)."""

    async def gateway_credential() -> Credential:
        credential: Credential = await gateway._identities.acredential(token, None)
        return credential

    async def credential_for(access: SecretStr) -> Credential:
        checked = Credential.of(access, "bound")  # a malformed token is refused, not sent
        headers = await gateway._identities.headers.for_call(server)
        if oauth.header is None:
            return checked.with_headers(headers)
        value = f"Bearer {checked.secret.get_secret_value()}"
        merged = _merge(dict(headers), {oauth.header: value})
        return (await gateway_credential()).with_headers(merged)

    async def probe_headers() -> dict[str, str]:
        headers = dict(await gateway._identities.headers.for_call(server))
        if oauth.header is not None:
            headers["Authorization"] = (await gateway_credential()).authorization()
        return headers

    runner = _runner(gateway)
    return await runner.run(
        server, gateway.endpoint(server), oauth, credential_for, attempt, probe_headers
    )


async def complete(
    gateway: Gateway, callback: str | Mapping[str, str], user: str | None
) -> Completed:
    """See :meth:`Gateway.complete_authorization`."""
    runner = _runner(gateway)
    params: str | dict[str, str] = callback if isinstance(callback, str) else dict(callback)
    done = await runner.complete(params, require_app_user(user))
    endpoint = gateway.endpoint(done.server)
    gateway._tools.invalidate_endpoint(endpoint)
    key = (endpoint, runner.wait_fingerprint(done.user, endpoint))
    gateway._loops.current().wakers.wake(key)  # waits for this user's consent probe now
    return done


async def disconnect(gateway: Gateway, server: str | None, user: str | None) -> bool:
    """See :meth:`Gateway.disconnect`."""
    runner = _runner(gateway)
    name = gateway.server_name(server)
    who = require_app_user(user)
    endpoint = gateway.endpoint(name)
    old = await runner.access_fingerprint(who, endpoint)
    removed = await runner.disconnect(name, endpoint, who)
    if old is not None:
        stale: Any = Credential(SecretStr("-"), "bound", old)
        gateway._runner.token_rotated(stale)  # close the revoked token's sessions and listings
    return removed


def wait_fingerprint(gateway: Gateway, server: str) -> str | None:
    """For an opted-in server, the key of the bound app user's wait; else None."""
    runner = gateway._oauth
    if runner is None or gateway._addressing.oauth(server) is None:
        return None
    return str(runner.wait_fingerprint(require_app_user(), gateway.endpoint(server)))


async def principal(gateway: Gateway, token: TokenInput | None) -> str:
    """Who a call made now is for, as one key: the gateway identity and the app user.

    Per-identity state (a toolkit's offers) keys on it. With app-run OAuth a call may
    carry no gateway token at all (the server is reached directly): the app user alone
    is the principal then. Neither bound: MissingUserToken, as for any call.
    """
    user = bound_app_user() if gateway._oauth is not None else None
    try:
        base = (await gateway.acredential(token)).fingerprint
    except MissingUserToken:
        if user is None:
            raise
        base = ""
    return base if user is None else fingerprint(f"{base}\x00app-user\x00{user}")
