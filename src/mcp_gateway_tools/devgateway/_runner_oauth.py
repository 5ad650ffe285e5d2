"""``DevGateway`` helpers for its ``mcp-oauth`` servers (standard OAuth-protected MCP
servers the gateway does not front): their URLs, a browser-playing consent driver and
the authorization server's grants, for tests, notebooks and demos."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from ._browser import BrowserConsent, run_browser_consent

if TYPE_CHECKING:
    from ._build import Built

__all__ = ["OAuthServerHelpers"]

T = TypeVar("T")


class OAuthServerHelpers:
    """Mixed into ``DevGateway``; relies on its running apps and user tokens."""

    @property
    def _b(self) -> Built:
        raise NotImplementedError

    def _gateway_token(self, user: str) -> str:
        raise NotImplementedError

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        raise NotImplementedError

    def oauth_servers(self) -> dict[str, str]:
        """Each ``mcp-oauth`` server's MCP endpoint, by name."""
        return {name: resource.url for name, resource in self._b.protected.items()}

    def oauth_server_url(self, server: str) -> str:
        """The MCP endpoint of ``mcp-oauth`` server ``server`` (also its resource id)."""
        resource = self._b.protected.get(server)
        if resource is None:
            raise ValueError(f"server {server!r} is not an 'mcp-oauth' server")
        return resource.url

    @property
    def authorization_server_url(self) -> str:
        """The issuer of the ``mcp-oauth`` servers' authorization server."""
        return self._b.authorization_server.issuer

    async def abrowser_consent(
        self,
        authorization_url: str,
        user: str,
        *,
        approve: bool = True,
        follow_callback: bool = True,
        callback_headers: dict[str, str] | None = None,
    ) -> BrowserConsent:
        """Play ``user``'s browser on an app's authorization URL for an ``mcp-oauth``
        server: sign in as ``user`` (with their access token), Approve or Deny, and
        follow the redirect to the app's callback (sending ``callback_headers``)."""
        return await run_browser_consent(
            url=authorization_url,
            password=self._gateway_token(user),
            approve=approve,
            follow_callback=follow_callback,
            callback_headers=callback_headers,
        )

    def browser_consent(
        self,
        authorization_url: str,
        user: str,
        *,
        approve: bool = True,
        follow_callback: bool = True,
        callback_headers: dict[str, str] | None = None,
    ) -> BrowserConsent:
        """Synchronous ``abrowser_consent``; only when started with ``with``."""
        return self._run(
            self.abrowser_consent(
                authorization_url,
                user,
                approve=approve,
                follow_callback=follow_callback,
                callback_headers=callback_headers,
            )
        )

    def oauth_grants(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(user, server, scopes) of each live grant at the ``mcp-oauth`` authorization
        server. No secrets."""
        by_url = {r.url: name for name, r in self._b.protected.items()}
        return [
            (user, by_url.get(url, url), scopes)
            for user, url, scopes in self._b.authorization_server.grants()
        ]
