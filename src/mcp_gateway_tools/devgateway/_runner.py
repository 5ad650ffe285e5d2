"""``DevGateway``: run the dev gateway in-process, from tests, notebooks or the CLI.

Two uvicorn servers (gateway and upstream) on free loopback ports. With ``with`` they
run on an event loop in a background thread, so synchronous code and any number of
test event loops can use them; with ``async with`` they run as tasks on the caller's
loop. Ports are bound before the apps are built so the consent links and the IdP
issuer carry the real address.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import tempfile
import threading
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import uvicorn

from ._browser import BrowserConsent
from ._build import Built, build_apps
from ._config import GatewayConfig, OAuthAuth, default_config, load_config
from ._consent_helper import ConsentResult, run_consent
from ._runner_oauth import OAuthServerHelpers
from ._serving import EmbeddedServer, bind_loopback
from ._store import GrantStore, instance_owner

__all__ = ["BrowserConsent", "DevGateway", "Tokens"]

log = logging.getLogger("mcp_gateway_tools.devgateway")
T = TypeVar("T")


@dataclass(frozen=True)
class Tokens:
    """Ready-made gateway tokens of the config. The repr never shows them."""

    users: Mapping[str, str] = field(repr=False)
    accounts: Mapping[str, str] = field(repr=False)

    def user(self, name: str) -> str:
        """The first personal access token of user ``name`` (e.g. ``"alice"``)."""
        try:
            return self.users[name]
        except KeyError:
            raise KeyError(f"user {name!r} has no personal access token in the config") from None

    def account(self, name: str) -> str:
        """The token of virtual account ``name`` (e.g. ``"ci-bot"``)."""
        try:
            return self.accounts[name]
        except KeyError:
            raise KeyError(f"no virtual account {name!r} in the config") from None

    @property
    def service(self) -> str:
        """The first virtual-account token: the scenario-A service token."""
        if not self.accounts:
            raise KeyError("the config defines no virtual account")
        return next(iter(self.accounts.values()))

    def __repr__(self) -> str:
        return f"Tokens(users={sorted(self.users)}, accounts={sorted(self.accounts)})"


class DevGateway(OAuthServerHelpers):
    """A local MCP gateway with per-user consent. Use ``with`` or ``async with``.

    ``config`` is a GatewayConfig, a path to a TOML file, or None for the built-in
    default (users alice and bob, virtual account ci-bot, servers knowledge, search,
    mail, calendar and the virtual server workspace).
    """

    def __init__(
        self,
        config: GatewayConfig | str | Path | None = None,
        *,
        store_path: str | Path | None = None,
        port: int | None = None,
    ) -> None:
        if config is None:
            config = default_config()
        elif not isinstance(config, GatewayConfig):
            config = load_config(config)
        self.config = config
        self._store_path = store_path or config.gateway.store_path
        self._port = config.gateway.port if port is None else port
        self._built: Built | None = None
        self._store: GrantStore | None = None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self._servers: list[EmbeddedServer] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self.base_url = ""
        self.upstream_url = ""
        self.tokens = Tokens(
            users={n: u.tokens[0] for n, u in config.users.items() if u.tokens},
            accounts={n: a.token for n, a in config.accounts.items()},
        )

    # -- lifecycle -----------------------------------------------------------------------

    async def _astart(self) -> None:
        host = self.config.gateway.host
        gw_sock = bind_loopback(host, self._port)
        try:
            up_sock = bind_loopback(host)
        except OSError:
            gw_sock.close()
            raise
        try:
            await self._start_on(gw_sock, up_sock)
        except BaseException:
            await self._astop()
            gw_sock.close()  # uvicorn closes them itself on a normal shutdown
            up_sock.close()
            raise
        log.info("dev gateway listening on %s", self.base_url)

    async def _start_on(self, gw_sock: socket.socket, up_sock: socket.socket) -> None:
        host = self.config.gateway.host
        shown = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown}:{gw_sock.getsockname()[1]}"
        self.upstream_url = f"http://{shown}:{up_sock.getsockname()[1]}"
        if self._store_path is None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="devgateway-")
            path: str | Path = Path(self._tmpdir.name) / "grants.sqlite3"
        else:
            path = self._store_path
        # The built-in provider's tokens die with this instance, so its grants are owned
        # by it: another instance sharing the file neither sees nor clears them.
        owner = instance_owner()
        builtin = {
            name: owner
            for name, server in self.config.servers.items()
            if isinstance(server.auth, OAuthAuth) and server.auth.provider == "builtin"
        }
        self._store = GrantStore(path, owners=builtin)
        self._store.prune_dead_owners()
        self._built = build_apps(
            self.config,
            gateway_base=self.base_url,
            upstream_base=self.upstream_url,
            store=self._store,
        )
        for app, sock in ((self._built.upstream, up_sock), (self._built.gateway, gw_sock)):
            cfg = uvicorn.Config(
                app,
                log_level="warning",
                access_log=False,
                lifespan="on",
                timeout_graceful_shutdown=2,
                ws="none",
            )
            uv = EmbeddedServer(cfg)
            self._servers.append(uv)
            self._tasks.append(asyncio.create_task(uv.serve(sockets=[sock])))
        async with asyncio.timeout(20):
            while not all(s.started for s in self._servers):
                for task in self._tasks:
                    if task.done():
                        task.result()
                        raise RuntimeError("dev gateway server exited during startup")
                await asyncio.sleep(0.01)

    async def _astop(self) -> None:
        for server in self._servers:
            server.request_stop()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._servers, self._tasks = [], []
        if self._store is not None:
            self._store.drop_own()
            self._store.close()
            self._store = None
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    async def __aenter__(self) -> DevGateway:
        await self._astart()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._astop()

    def start(self) -> DevGateway:
        """Start in a background thread (for notebooks); same as entering ``with``."""
        return self.__enter__()

    def stop(self) -> None:
        """Stop a gateway started with ``start()``; idempotent."""
        self.__exit__(None, None, None)

    def __enter__(self) -> DevGateway:
        if self._thread is not None or self._servers:
            raise RuntimeError("this DevGateway is already running")
        ready = threading.Event()
        errors: list[BaseException] = []

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            try:
                await self._astart()
            except BaseException as exc:
                errors.append(exc)
                ready.set()
                return
            ready.set()
            await self._stop.wait()
            await self._astop()

        self._thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
        self._thread.start()
        ready.wait()
        if errors:
            self._thread.join()
            raise errors[0]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._thread, self._loop, self._stop = None, None, None

    # -- helpers -------------------------------------------------------------------------

    @property
    def store_path(self) -> str | None:
        """Where this instance keeps its grants (a per-run temporary file by default)."""
        return self._store.path if self._store is not None else None

    @property
    def _b(self) -> Built:
        if self._built is None or self._store is None:
            raise RuntimeError("the dev gateway is not running; use 'with' or 'async with'")
        return self._built

    def url(self, server: str) -> str:
        """The streamable-HTTP MCP endpoint of ``server`` on this gateway."""
        return f"{self.base_url}/mcp/{server}/server"

    def user_email(self, user: str) -> str:
        """The identity of a configured user name, or ``user`` itself if it is an email."""
        email = self._b.authenticator.user_email(user)
        if email is None and "@" not in user:
            raise KeyError(f"unknown user {user!r}")
        return (email or user).lower()

    def issue_jwt(
        self,
        user: str,
        *,
        audience: str | None = None,
        issuer: str | None = None,
        expires_in: float | None = None,
        extra_claims: dict[str, Any] | None = None,
    ) -> str:
        """An IdP JWT for ``user`` (name or email) from the built-in test IdP."""
        built = self._b
        return built.idp.issue(
            self.user_email(user),
            issuer=issuer or built.issuer,
            audience=audience or self.config.idp.audience,
            expires_in=self.config.idp.token_ttl if expires_in is None else expires_in,
            extra_claims=extra_claims,
        )

    def _gateway_token(self, user: str) -> str:
        name = user if user in self.config.users else None
        if name is not None and name in self.tokens.users:
            return self.tokens.users[name]
        return self.issue_jwt(user)

    def authorization_url(self, user: str, server: str) -> str:
        """Mint a consent link for ``user`` on per-user OAuth ``server`` (no HTTP call)."""
        principal = self._b.authenticator.principal_for_email(self.user_email(user))
        if server not in self._b.consent.targets:
            raise ValueError(f"server {server!r} does not use per-user OAuth")
        return self._b.consent.authorization_url(principal, server)

    async def aconsent(
        self,
        user: str,
        server: str,
        *,
        approve: bool = True,
        link: str | None = None,
        check: bool = True,
    ) -> ConsentResult:
        """Complete ``user``'s consent for ``server`` with the HTTP steps a browser takes.

        Gets a consent link from a 401 (unless ``link`` is given), opens it as the user,
        submits Approve (or Deny) on the provider's page and follows the redirects.
        With ``check`` an approval that did not store a grant raises ``ConsentError``.
        """
        if server not in self._b.consent.targets:
            raise ValueError(f"server {server!r} does not use per-user OAuth")
        if link is None and self.config.gateway.auth_required_style != "http-401":
            # No 401 at connect in this style: take the link the -32042 error would carry.
            assert self._store is not None
            if self._store.get(self.user_email(user), server) is not None:
                return ConsentResult("already-granted", 200, "The user already has a grant.")
            link = self.authorization_url(user, server)
        return await run_consent(
            url=self.url(server),
            token=self._gateway_token(user),
            link=link,
            approve=approve,
            check=check,
        )

    def consent(
        self,
        user: str,
        server: str,
        *,
        approve: bool = True,
        link: str | None = None,
        check: bool = True,
    ) -> ConsentResult:
        """Synchronous ``aconsent``; only when started with ``with`` (not ``async with``)."""
        return self._run(self.aconsent(user, server, approve=approve, link=link, check=check))

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None or self._thread is None:
            coro.close()
            raise RuntimeError(
                "consent() needs the gateway started with 'with'; under 'async with' use "
                "'await gateway.aconsent(...)'"
            )
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=60)

    def revoke(self, user: str, server: str) -> bool:
        """Delete ``user``'s grant for ``server`` (and its tokens at the mock provider).

        For an ``mcp-oauth`` server: revoke every token the authorization server issued
        to ``user`` for it, as if the user revoked the app's access there."""
        identity = self.user_email(user)
        built = self._b
        if server in built.protected:
            url = built.protected[server].url
            return built.authorization_server.revoke_user(identity, url) > 0
        assert self._store is not None
        client_id = built.client_ids.get(server)
        if client_id is not None:
            built.provider.revoke(identity, client_id)
        return self._store.delete(identity, server)

    def expire_access_token(self, user: str, server: str) -> None:
        """Make ``user``'s access token for ``server`` expired everywhere (to test refresh)."""
        identity = self.user_email(user)
        if server in self._b.protected:
            url = self._b.protected[server].url
            self._b.authorization_server.expire_access_tokens(identity, url)
            return
        assert self._store is not None
        client_id = self._b.client_ids.get(server)
        if client_id is not None:
            self._b.provider.expire_access_tokens(identity, client_id)
        self._store.expire(identity, server)

    def grants(self) -> list[tuple[str, str]]:
        """(user identity, server) pairs that currently hold a grant. No secrets."""
        self._b  # noqa: B018  (raises if not running)
        assert self._store is not None
        return self._store.list()

    def __repr__(self) -> str:
        return f"DevGateway(base_url={self.base_url!r}, servers={sorted(self.config.servers)})"
