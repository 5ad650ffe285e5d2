"""The Gateway: where servers live, whose token a call carries, and the call itself.

One Gateway serves every user. Each call resolves its token (``_tokens``), takes the
open session for that identity from the pool of the running event loop
(``_sessions``), runs, and comes back as a :class:`ToolResult` or a typed error
(``_classify``). A session lost under a call is replaced once when that is safe.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import ssl
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, TypeVar

import httpx2
from fastmcp import Client
from pydantic import SecretStr

from . import _app_oauth, _auth, _waiting
from ._addressing import DEFAULT_TEMPLATE, Addressing, ServerOption
from ._classify import Failure, classify
from ._client import ClientSettings, build_client, call_with_state, seed_output_schemas
from ._content import ToolInfo, ToolResult, to_tool_info, to_tool_result
from ._discovery import ConsentSet, ToolCache
from ._elicitation import CallState, LogHandler, ProgressHandler, UnansweredInput
from ._errors import (
    AuthorizationRequired,
    ConfigurationError,
    GatewayClosed,
    GatewayError,
    GatewayUnavailable,
    InvalidToken,
    RateLimited,
)
from ._failures import addressed_by_path, cause_of, detached, masked, redacted_result
from ._headers import HeadersOption, RequestHeaders
from ._interactions import Answer, InteractionHandler
from ._sessions import PooledSession, SessionPool
from ._sync import background_loop, run_sync
from ._tokens import (
    Credential,
    ProviderCache,
    TokenInput,
    TokenSource,
    conceal,
    pick_token,
)
from ._transport import shared_ssl_context

__all__ = ["Gateway"]

logger = logging.getLogger("mcp_gateway_tools")
T = TypeVar("T")

ProtocolMode = Literal["auto", "legacy"]

_live: weakref.WeakSet[Gateway] = weakref.WeakSet()


@dataclass
class _LoopState:
    """What a Gateway holds on one event loop: the sessions and the connection pool."""

    pool: SessionPool
    http: httpx2.AsyncHTTPTransport

    async def aclose(self) -> None:
        await self.pool.aclose()
        await self.http.aclose()


class Gateway:
    """An MCP gateway: where its servers are, and whose token each call carries.

    Args:
        url: the gateway's base URL, or a full server URL of the template's shape as
            copied from its UI (``https://gw.example.com/mcp/mail/server``), which also
            sets :attr:`default_server`. May be omitted when ``servers`` lists them all.
        token: a static service (virtual account) token for scenario A, or a callable
            (sync or async) returning the current one; None when every call carries the
            end user's token.
        endpoint_template: how a server name becomes its URL: ``{base}`` is ``url``,
            ``{server}`` the name (default ``"{base}/mcp/{server}/server"``).
        servers: alias -> the server's absolute URL (any shape), a
            :class:`~mcp_gateway_tools.Server` (URL and its own headers), or
            ``{"url": ..., "headers": {...}}``. Aliases are the names used everywhere.
        headers: extra request headers (never Authorization): a mapping sent to every
            server, or a callable ``(server_alias) -> mapping`` (sync or async) evaluated
            per call in the caller's context. Headers are part of the session identity.
        connect_timeout: seconds to connect and initialize a session.
        call_timeout: seconds a tool call may take (per call overridable).
        max_sessions: open sessions kept per event loop (least recently used idle
            sessions are closed beyond it). Per-identity state (tool listings, pending
            consent, token providers) is bounded at ``4 × max_sessions`` entries.
        idle_timeout: seconds after which an unused session is closed.
        tools_cache_ttl: seconds a tool listing is reused per identity (0 disables).
        protocol_mode: ``"auto"`` (probe the modern protocol, fall back) or
            ``"legacy"`` (initialize handshake only: one round trip less per connect).
        verify: TLS verification (True, False, a CA bundle path or an SSLContext).
        on_interaction: answers what a server asks the user mid-call (a form, a link
            to open): called with an :class:`~mcp_gateway_tools.InputRequest` or
            :class:`~mcp_gateway_tools.AuthorizationRequest`, sync or async, it
            returns an :class:`~mcp_gateway_tools.Answer` (or None: not answered
            here). Unanswered, a form raises :class:`InputRequired` and a link
            :class:`AuthorizationRequired`; a form is never answered for the user.
            Per call, ``call_tool(on_interaction=...)`` takes precedence.
        oauth: the app as its users' OAuth client
            (:class:`~mcp_gateway_tools.oauth.OAuthClient`: callback URL, store) for the
            servers that opted in with ``Server(url, oauth=OAuth())``; see docs/oauth.md.
        retry_rate_limited: opt-in, off by default: the longest ``Retry-After`` (seconds)
            the Gateway waits out itself, once, when the gateway answers 429, or 503
            with ``Retry-After`` to a request that is idempotent (a listing) or did not
            run (at connect). Longer waits are raised as RateLimited /
            GatewayUnavailable with ``retry_after`` for the caller to decide.

    Use ``async with Gateway(...) as gw`` or call :meth:`aclose`; without either, what
    it opened is closed at interpreter exit, so notebooks need no ceremony.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        token: TokenInput | None = None,
        endpoint_template: str = DEFAULT_TEMPLATE,
        servers: Mapping[str, ServerOption] | None = None,
        headers: HeadersOption = None,
        connect_timeout: float = 10.0,
        call_timeout: float = 60.0,
        max_sessions: int = 256,
        idle_timeout: float = 300.0,
        tools_cache_ttl: float = 300.0,
        protocol_mode: ProtocolMode = "auto",
        verify: ssl.SSLContext | bool | str = True,
        on_interaction: InteractionHandler | None = None,
        retry_rate_limited: float = 0.0,
        oauth: _app_oauth.OAuthClient | None = None,
    ) -> None:
        self._addressing = Addressing(url, endpoint_template=endpoint_template, servers=servers)
        self.base_url = self._addressing.base_url
        self.default_server = self._addressing.default_server
        self._headers = RequestHeaders(headers, self._addressing)
        if protocol_mode not in ("auto", "legacy"):
            raise ConfigurationError("protocol_mode must be 'auto' or 'legacy'")
        if max_sessions < 1 or connect_timeout <= 0 or call_timeout <= 0:
            raise ConfigurationError("max_sessions and the timeouts must be positive")
        self._static: TokenInput | None = None if token is None else conceal(token)
        del token  # frames keep SecretStr only (tracebacks with locals)
        self._static_credential: Credential | None = None
        if self._static is not None and not callable(self._static):
            self._static_credential = Credential.of(self._static, "service")
        self.connect_timeout = connect_timeout
        self.call_timeout = call_timeout
        self.max_sessions = max_sessions
        self.state_bound = 4 * max_sessions
        """Most entries kept in each per-identity structure (listings, consent, providers)."""
        self.idle_timeout = idle_timeout
        self.protocol_mode: ProtocolMode = protocol_mode
        self._client_settings = ClientSettings(connect_timeout, call_timeout, protocol_mode)
        self._ssl = (
            shared_ssl_context() if verify is True else httpx2.create_ssl_context(verify=verify)
        )
        self._tools = ToolCache(tools_cache_ttl, max_entries=self.state_bound)
        self._providers = ProviderCache(self.state_bound, self._token_rotated)
        self._states: dict[asyncio.AbstractEventLoop, _LoopState] = {}
        self._awaiting_consent = ConsentSet(max_entries=self.state_bound)
        self._closed = False
        self.on_interaction = on_interaction
        self.retry_rate_limited = max(0.0, float(retry_rate_limited))
        self._oauth = _app_oauth.runner_for(oauth, self._addressing, self._ssl, connect_timeout)
        _live.add(self)

    def __repr__(self) -> str:
        token = "service token" if self._static is not None else "per-user tokens"
        where = self.base_url or sorted(self._addressing.servers)
        return f"Gateway({where!r}, {token})"

    # -- addressing -------------------------------------------------------------------

    @property
    def has_service_token(self) -> bool:
        return self._static is not None

    @property
    def servers(self) -> dict[str, str]:
        """The configured aliases and their URLs (``servers=``)."""
        return {alias: entry.url for alias, entry in self._addressing.servers.items()}

    def endpoint(self, server: str | None = None) -> str:
        """The streamable-HTTP URL of ``server`` (an alias, a name, or a full server URL)."""
        return self._addressing.endpoint(server)

    def server_name(self, server: str | None = None) -> str:
        """Normalise ``server`` (an alias, a name, or a full server URL) to its name."""
        return self._addressing.name(server)

    # -- identity -----------------------------------------------------------------------

    def credential(self, token: TokenInput | None = None) -> Credential:
        """The token a call made now would carry (explicit > bound > service).

        Extra headers are not included (they depend on the server): see
        :meth:`acredential`. An async token provider needs :meth:`acredential`.
        """
        value, source = pick_token(None if token is None else conceal(token), self._static)
        if callable(value):
            return self._providers.resolve_sync(value, source)
        return self._credential_of(value, source)

    async def acredential(
        self, token: TokenInput | None = None, server: str | None = None
    ) -> Credential:
        """The identity a call made now would carry; with ``server``, its headers too."""
        value, source = pick_token(None if token is None else conceal(token), self._static)
        credential = await self._resolve(value, source)
        if server is None:
            return credential
        return credential.with_headers(await self._headers.for_call(self.server_name(server)))

    def _credential_of(self, value: str | SecretStr, source: TokenSource) -> Credential:
        if source == "service" and self._static_credential is not None:
            return self._static_credential
        return Credential.of(value, source)

    async def _resolve(self, value: TokenInput, source: TokenSource) -> Credential:
        if callable(value):
            return await self._providers.resolve(value, source)
        return self._credential_of(value, source)

    async def _as_identity(
        self,
        server: str,
        token: TokenInput | None,
        attempt: Callable[[Credential], Awaitable[T]],
    ) -> T:
        """Run ``attempt`` as the call's identity; once more if a provider has a new token.

        On :class:`InvalidToken` a token provider is asked again; only when it answers
        a different token is the call retried (once). The rejected token's sessions are
        closed by then (see :meth:`_token_rotated`).
        """
        if self._oauth is not None and (oauth := self._addressing.oauth(server)) is not None:
            return await _app_oauth.run_as_app_user(self, server, token, oauth, attempt)
        value, source = pick_token(token, self._static)
        base = await self._resolve(value, source)
        credential = base.with_headers(await self._headers.for_call(server))
        try:
            return await attempt(credential)
        except InvalidToken as exc:
            if not callable(value):
                raise
            rejected = exc
        fresh = await self._providers.resolve(value, source)
        if fresh.fingerprint == base.fingerprint:
            raise rejected
        logger.debug("token provider gave a new token server=%s; retrying once", server)
        return await attempt(fresh.with_headers(await self._headers.for_call(server)))

    def _token_rotated(self, old: Credential) -> None:
        """A provider answered a new token: close the old one's sessions and state now."""
        logger.debug("token rotated identity=%s; closing its sessions", old.fingerprint[:12])
        self._tools.invalidate_token(old.fingerprint)
        self._awaiting_consent.discard_token(old.fingerprint)
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        for loop, state in list(self._states.items()):
            if loop is current:
                state.pool.discard_token(old.fingerprint)
            elif loop.is_running() and not loop.is_closed():
                loop.call_soon_threadsafe(state.pool.discard_token, old.fingerprint)

    # -- the two operations -----------------------------------------------------------

    async def list_tools(
        self,
        server: str | None = None,
        *,
        token: TokenInput | None = None,
        refresh: bool = False,
    ) -> list[ToolInfo]:
        """The tools of ``server`` as the resolved token sees them (cached per identity)."""
        token = None if token is None else conceal(token)  # no plain token in our frames
        name = self.server_name(server)
        endpoint = self.endpoint(name)

        async def op(entry: PooledSession) -> tuple[ToolInfo, ...]:
            assert entry.client is not None
            tools = tuple(to_tool_info(name, t) for t in await entry.client.list_tools())
            entry.tools_listed = True
            return tools

        async def attempt(credential: Credential) -> list[ToolInfo]:
            key = (endpoint, credential.identity)
            cached = None if refresh else self._tools.get(key)
            if cached is not None:
                return list(cached)
            tools = await self._run(name, credential, op, idempotent=True)
            self._tools.put(key, tools, token=credential.fingerprint)
            return list(tools)

        return await self._as_identity(name, token, attempt)

    async def call_tool(
        self,
        server: str | None,
        tool: str,
        arguments: dict[str, Any] | None = None,
        *,
        token: TokenInput | None = None,
        timeout: float | None = None,
        known_tool: ToolInfo | None = None,
        on_interaction: InteractionHandler | None = None,
        answers: Mapping[str, Answer] | None = None,
        unanswered_input: UnansweredInput = "raise",
        on_progress: ProgressHandler | None = None,
        on_log: LogHandler | None = None,
    ) -> ToolResult:
        """Call ``tool`` on ``server`` with the resolved token.

        Returns the tool's result (``is_error`` set when the tool reported failure);
        raises :class:`AuthorizationRequired` when the user must consent (or open a
        link a server asked for), :class:`InputRequired` when the server asked for a
        form no one answered, and another :class:`GatewayError` for every other failure.

        ``known_tool`` is the tool's description as the caller already holds it (an
        adapter's shared tool list): its output schema lets a new session validate the
        result without first listing the server's tools again.

        What the server asks mid-call is answered by ``answers`` (by ``request_id``,
        when re-running a call the user answered), else ``on_interaction`` (else the
        Gateway's); ``unanswered_input="decline"`` declines unanswered forms instead of
        raising. ``on_progress`` gets each :class:`Progress` of this call, ``on_log``
        each server log line (which also goes to the ``mcp_gateway_tools.server`` logger).
        """
        token = None if token is None else conceal(token)  # no plain token in our frames
        name = self.server_name(server)
        endpoint = self.endpoint(name)
        args = dict(arguments or {})
        handler = on_interaction if on_interaction is not None else self.on_interaction

        async def attempt(credential: Credential) -> ToolResult:
            key = (endpoint, credential.identity)

            async def op(entry: PooledSession) -> ToolResult:
                assert entry.client is not None
                if not entry.tools_listed:
                    if (cached := self._tools.get(key)) is not None:
                        entry.tools_listed = seed_output_schemas(entry.client, cached)
                    elif known_tool is not None and known_tool.name == tool:
                        seed_output_schemas(entry.client, (known_tool,))
                secrets = (credential.secret,)
                state = CallState(
                    name,
                    tool,
                    args,
                    handler=handler,
                    answers=dict(answers or {}),
                    unanswered_input=unanswered_input,
                    on_progress=on_progress,
                    on_log=on_log,
                    secrets=secrets,
                    origin=endpoint,
                )
                raw = await call_with_state(
                    entry.client,
                    tool,
                    args,
                    timeout or self.call_timeout,
                    entry.pending_urls,
                    state,
                )
                consent = _auth.from_tool_result(
                    raw,
                    server=name,
                    service_token=credential.is_service,
                    origin=endpoint,
                    secrets=secrets,
                )
                if consent is not None:
                    raise consent
                return to_tool_result(redacted_result(raw, secrets))

            return await self._run(name, credential, op, idempotent=False)

        return await self._as_identity(name, token, attempt)

    def list_tools_sync(
        self, server: str | None = None, *, token: TokenInput | None = None
    ) -> list[ToolInfo]:
        """:meth:`list_tools` for sync code (scripts, threads, notebook cells)."""
        token = masked(token)  # an error's traceback passes this frame: no plain token
        return run_sync(self.list_tools(server, token=token))

    def call_tool_sync(
        self,
        server: str | None,
        tool: str,
        arguments: dict[str, Any] | None = None,
        *,
        token: TokenInput | None = None,
        timeout: float | None = None,
        known_tool: ToolInfo | None = None,
        on_interaction: InteractionHandler | None = None,
        answers: Mapping[str, Answer] | None = None,
        unanswered_input: UnansweredInput = "raise",
        on_progress: ProgressHandler | None = None,
        on_log: LogHandler | None = None,
    ) -> ToolResult:
        """:meth:`call_tool` for sync code (scripts, threads, notebook cells).

        Handlers run on the package's private loop thread.
        """
        token = masked(token)  # an error's traceback passes this frame: no plain token
        return run_sync(
            self.call_tool(
                server,
                tool,
                arguments,
                token=token,
                timeout=timeout,
                known_tool=known_tool,
                on_interaction=on_interaction,
                answers=answers,
                unanswered_input=unanswered_input,
                on_progress=on_progress,
                on_log=on_log,
            )
        )

    # -- waiting for consent (issue 14; logic in _waiting) --------------------------------

    async def wait_for_authorization(
        self,
        server: str | None = None,
        *,
        token: TokenInput | None = None,
        timeout: float | None = 300.0,
    ) -> None:
        """Return once the user's grant for ``server`` works (they completed consent).

        Probes with the cheapest request the gateway allows for that identity (a fresh
        listing on its session), with bounded exponential backoff; cancel the awaiting
        task to stop. Waits through transient failures; raises at once what waiting
        cannot fix (missing or rejected token, access denied); on ``timeout`` seconds
        (None: no limit) raises the last :class:`AuthorizationRequired`.
        """
        await _waiting.wait_for_authorization(self, server, token=token, timeout=timeout)

    # -- OAuth run by the app for its users (issue 16; logic in _app_oauth, oauth/) ------

    async def complete_authorization(
        self, callback: str | Mapping[str, str], *, user: str | None = None
    ) -> _app_oauth.Completed:
        """Finish a user's authorization from the callback (its URL or query parameters).

        ``user`` is the app user signed in where the callback arrived (default: the
        bound :func:`~mcp_gateway_tools.app_user`); a callback whose ``state`` was issued
        for another user, or is unknown, expired or used, raises
        :class:`InvalidAuthorizationState`; an error from the authorization server,
        :class:`AuthorizationDenied` / :class:`TokenRequestFailed`. Waits for it end now.
        """
        return await _app_oauth.complete(self, callback, user)

    async def disconnect(self, server: str | None = None, *, user: str | None = None) -> bool:
        """Revoke (RFC 7009, where advertised) and delete ``user``'s grant for ``server``.

        Returns whether there was one. The next call asks for authorization again.
        """
        return await _app_oauth.disconnect(self, server, user)

    # -- machinery ----------------------------------------------------------------------

    async def _run(
        self,
        server: str,
        credential: Credential,
        op: Callable[[PooledSession], Awaitable[T]],
        *,
        idempotent: bool,
    ) -> T:
        """Run ``op`` on the identity's session; replace a lost session once when safe.

        Failures are classified inside the ``except`` blocks but raised after them: the
        underlying exception's frames hold the request headers, so the typed error must
        carry no ``__cause__``, ``__context__`` or traceback leading there (DESIGN §5).
        """
        pool = self._state().pool
        endpoint = self.endpoint(server)
        facts: dict[str, Any] = {
            "server": server,
            "service_token": credential.is_service,
            "secrets": (credential.secret,),
            "endpoint": endpoint,
            "addressed_by_path": server not in self._addressing.servers
            and addressed_by_path(self.base_url),
        }
        for attempt in (1, 2):
            failure: Failure | None = None
            cause: tuple[str, str] = ("", "")
            phase = "connect"
            try:
                async with pool.session(endpoint, server, credential) as entry:
                    try:
                        result = await op(entry)
                    except Exception as exc:
                        phase = "call"
                        failure = classify(exc, phase="call", **facts)
                        cause = cause_of(exc, credential)
                        if failure.session_lost:
                            pool.discard(entry)
                    else:
                        self._after_success(endpoint, credential)
                        return result
            except Exception as exc:  # the session could not be opened
                failure = classify(exc, phase="connect", **facts)
                cause = cause_of(exc, credential)
            assert failure is not None
            wait = self._retry_wait(failure.error, idempotent=idempotent or phase == "connect")
            if attempt == 1 and wait is not None:
                logger.debug("server=%s asked to retry after %.1f s; waiting once", server, wait)
                await asyncio.sleep(wait)
                continue
            if (
                attempt == 1
                and phase == "call"
                and failure.session_lost
                and (failure.retry_safe or idempotent)
            ):
                logger.debug(
                    "session lost server=%s identity=%s; reconnecting",
                    server,
                    credential.short,
                )
                continue
            raise self._report(detached(failure.error, cause), endpoint, credential)
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry_wait(self, error: GatewayError, *, idempotent: bool) -> float | None:
        """Seconds to wait before the one opt-in retry of a rate-limited request, or None.

        A 429 means the gateway refused the request, so nothing ran; a 503 may come
        from behind the gateway, so it is retried only where running twice is harmless.
        """
        retry_after = getattr(error, "retry_after", None)
        if self.retry_rate_limited <= 0 or retry_after is None:
            return None
        if retry_after > self.retry_rate_limited:
            return None
        if isinstance(error, RateLimited) or (
            type(error) is GatewayUnavailable and error.status == 503 and idempotent
        ):
            return float(retry_after)
        return None

    def _report(self, error: GatewayError, endpoint: str, credential: Credential) -> GatewayError:
        """Log a failure (never the token) and remember pending consent."""
        if isinstance(error, AuthorizationRequired):
            key = (endpoint, credential.identity)
            self._awaiting_consent.add(key, token=credential.fingerprint)
            logger.info(
                "authorization required server=%s for=%s", error.server, sorted(error.server_names)
            )
        else:
            logger.debug(
                "call failed server=%s error=%s cause=%s: %s",
                error.server,
                type(error).__name__,
                error.cause_type,
                error.cause_message,
            )
        return error

    def _after_success(self, endpoint: str, credential: Credential) -> None:
        key = (endpoint, credential.identity)
        if key in self._awaiting_consent:
            # Consent was given: what this user may list has changed.
            self._awaiting_consent.discard(key)
            self._tools.invalidate(key)

    def _state(self) -> _LoopState:
        if self._closed:
            raise GatewayClosed("This Gateway is closed.")
        loop = asyncio.get_running_loop()
        state = self._states.get(loop)
        if state is None:
            for stale in [lp for lp in self._states if lp.is_closed()]:
                del self._states[stale]
            http = httpx2.AsyncHTTPTransport(
                verify=self._ssl,
                limits=httpx2.Limits(max_connections=None, max_keepalive_connections=64),
            )
            pool = SessionPool(
                self._new_client, max_sessions=self.max_sessions, idle_timeout=self.idle_timeout
            )
            state = self._states[loop] = _LoopState(pool, http)
        return state

    def _new_client(
        self, endpoint: str, credential: Credential, entry: PooledSession
    ) -> Client[Any]:
        key = (endpoint, credential.identity)
        return build_client(
            endpoint,
            entry.server,
            credential,
            shared_http=self._state().http,
            settings=self._client_settings,
            stray_urls=entry.pending_urls,
            on_tools_changed=lambda: self._tools.invalidate(key),
            on_elicitation_complete=lambda: _waiting.authorization_completed(
                self, entry.server, credential.fingerprint
            ),
        )

    def open_sessions(self) -> int:
        """Sessions open on the running loop (diagnostics, tests, benchmarks)."""
        state = self._states.get(asyncio.get_running_loop())
        return len(state.pool) if state else 0

    def sessions_opened(self) -> int:
        """Sessions opened on the running loop since it started being used."""
        state = self._states.get(asyncio.get_running_loop())
        return state.pool.opened if state else 0

    def identity_state(self) -> dict[str, int]:
        """How many entries each per-identity structure holds now (diagnostics, benchmarks).

        ``tool_listings``, ``awaiting_consent`` and ``token_providers`` never exceed
        :attr:`state_bound` (``4 × max_sessions``); ``sessions`` is per event loop (this
        one) and bounded by ``max_sessions`` except while every session is in use.
        """
        try:
            sessions = self.open_sessions()
        except RuntimeError:  # no running loop: no sessions of "this" loop
            sessions = 0
        return {
            "sessions": sessions,
            "tool_listings": len(self._tools),
            "awaiting_consent": len(self._awaiting_consent),
            "token_providers": len(self._providers),
        }

    def invalidate_tools(self, server: str | None = None) -> None:
        """Forget cached tool listings (of one server, or all)."""
        if server is None:
            self._tools.clear()
        else:
            self._tools.invalidate_endpoint(self.endpoint(server))

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> Gateway:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every session this Gateway opened, on every loop it used."""
        if self._closed:
            return
        self._closed = True
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        states, self._states = self._states, {}
        for loop, state in states.items():
            if loop is current:
                await state.aclose()
            elif loop.is_running():
                done = asyncio.run_coroutine_threadsafe(state.aclose(), loop)
                if current is not None:
                    await asyncio.wrap_future(done)
                else:
                    done.result(timeout=10)
        _live.discard(self)

    def close(self) -> None:
        """Sync :meth:`aclose`, for scripts and notebooks."""
        if background_loop.is_current():
            raise RuntimeError("use 'await gateway.aclose()' inside the gateway's loop")
        run_sync(self.aclose())


@atexit.register
def _close_all_at_exit() -> None:
    """Close what notebooks and scripts left open, quietly, before the interpreter goes."""
    for gateway in list(_live):
        try:
            if not background_loop.is_current():
                run_sync(gateway.aclose())
        except Exception:  # noqa: S112 - best effort at exit
            continue
    background_loop.stop()
