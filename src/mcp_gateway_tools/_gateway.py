"""The Gateway: where servers live, whose token a call carries, and the call itself.

One Gateway serves every user. Each call resolves its identity (``_identity``), takes
the open session for that identity from the pool of the running event loop
(``_loops``, ``_sessions``), runs there with the retry rules of ``_running``, and
comes back as a :class:`ToolResult` or a typed error (``_classify``).
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from . import _app_oauth, _waiting

if TYPE_CHECKING:
    from .oauth import Completed, OAuthClient
from ._addressing import DEFAULT_TEMPLATE, Addressing, ServerOption
from ._client import ClientSettings
from ._content import ToolInfo, ToolResult
from ._discovery import ConsentSet, ToolCache
from ._elicitation import CallState, LogHandler, ProgressHandler, UnansweredInput
from ._errors import ConfigurationError
from ._failures import masked
from ._headers import HeadersOption, RequestHeaders
from ._identity import Identities
from ._interactions import Answer, InteractionHandler
from ._running import Runner
from ._sync import background_loop, run_sync
from ._tokens import Credential, TokenInput, conceal
from ._transport import ssl_context

__all__ = ["Gateway"]

ProtocolMode = Literal["auto", "legacy"]


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
        oauth: OAuthClient | None = None,
    ) -> None:
        self._addressing = Addressing(url, endpoint_template=endpoint_template, servers=servers)
        self.base_url = self._addressing.base_url
        self.default_server = self._addressing.default_server
        if protocol_mode not in ("auto", "legacy"):
            raise ConfigurationError("protocol_mode must be 'auto' or 'legacy'")
        if max_sessions < 1 or connect_timeout <= 0 or call_timeout <= 0:
            raise ConfigurationError("max_sessions and the timeouts must be positive")
        self.connect_timeout = connect_timeout
        self.call_timeout = call_timeout
        self.max_sessions = max_sessions
        self.state_bound = 4 * max_sessions
        """Most entries kept in each per-identity structure (listings, consent, providers)."""
        self.idle_timeout = idle_timeout
        self.protocol_mode: ProtocolMode = protocol_mode
        self.on_interaction = on_interaction
        self.retry_rate_limited = max(0.0, float(retry_rate_limited))
        service_token = None if token is None else conceal(token)
        del token  # frames keep SecretStr only (tracebacks with locals)
        self._tools = ToolCache(tools_cache_ttl, max_entries=self.state_bound)
        self._awaiting_consent = ConsentSet(max_entries=self.state_bound)
        self._runner = Runner(
            self._addressing,
            self._tools,
            self._awaiting_consent,
            ClientSettings(connect_timeout, call_timeout, protocol_mode),
            verify=ssl_context(verify),
            max_sessions=max_sessions,
            idle_timeout=idle_timeout,
        )
        self._loops = self._runner.loops
        self._identities = Identities(
            service_token,
            RequestHeaders(headers, self._addressing),
            max_providers=self.state_bound,
            on_rotate=self._runner.token_rotated,
        )
        self._oauth = _app_oauth.runner_for(
            oauth, self._addressing, ssl_context(verify), connect_timeout
        )

    def __repr__(self) -> str:
        if "_identities" not in vars(self):  # half-built: a failed __init__'s traceback
            return "Gateway(<not constructed>)"
        token = "service token" if self.has_service_token else "per-user tokens"
        where = self.base_url or sorted(self._addressing.servers)
        return f"Gateway({where!r}, {token})"

    # -- addressing -------------------------------------------------------------------

    @property
    def has_service_token(self) -> bool:
        return self._identities.service_token is not None

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
        return self._identities.credential(token)

    async def acredential(
        self, token: TokenInput | None = None, server: str | None = None
    ) -> Credential:
        """The identity a call made now would carry; with ``server``, its headers too."""
        name = None if server is None else self.server_name(server)
        return await self._identities.acredential(token, name)

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

        async def attempt(credential: Credential) -> list[ToolInfo]:
            return await self._runner.list_tools(
                name, endpoint, credential, refresh=refresh, retry_limit=self.retry_rate_limited
            )

        return await _app_oauth.as_identity(self, name, token, attempt)

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
        new_state = partial(
            CallState,
            name,
            tool,
            dict(arguments or {}),
            handler=on_interaction if on_interaction is not None else self.on_interaction,
            answers=dict(answers or {}),
            unanswered_input=unanswered_input,
            on_progress=on_progress,
            on_log=on_log,
            origin=endpoint,
        )

        async def attempt(credential: Credential) -> ToolResult:
            return await self._runner.call_tool(
                name,
                endpoint,
                credential,
                new_state,
                timeout=timeout or self.call_timeout,
                known_tool=known_tool,
                retry_limit=self.retry_rate_limited,
            )

        return await _app_oauth.as_identity(self, name, token, attempt)

    def list_tools_sync(
        self,
        server: str | None = None,
        *,
        token: TokenInput | None = None,
        refresh: bool = False,
    ) -> list[ToolInfo]:
        """:meth:`list_tools` for sync code (scripts, threads, notebook cells)."""
        token = masked(token)  # an error's traceback passes this frame: no plain token
        return run_sync(self.list_tools(server, token=token, refresh=refresh))

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
        wakers = self._loops.current().wakers
        await _waiting.wait_for_authorization(
            self, server, token=token, timeout=timeout, wakers=wakers
        )

    # -- OAuth run by the app for its users (issue 16; logic in _app_oauth, oauth/) ------

    async def complete_authorization(
        self, callback: str | Mapping[str, str], *, user: str | None = None
    ) -> Completed:
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

    # -- diagnostics ----------------------------------------------------------------

    def open_sessions(self) -> int:
        """Sessions open on the running loop (diagnostics, tests, benchmarks)."""
        state = self._loops.existing()
        return len(state.pool) if state else 0

    def sessions_opened(self) -> int:
        """Sessions opened on the running loop since it started being used."""
        state = self._loops.existing()
        return state.pool.opened if state else 0

    def identity_state(self) -> dict[str, int]:
        """How many entries each per-identity structure holds now (diagnostics, benchmarks).

        ``tool_listings``, ``awaiting_consent``, ``token_providers`` and
        ``token_values`` (checked tokens, kept so a warm call skips the check) never exceed
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
            "token_providers": len(self._identities.providers),
            "token_values": len(self._identities.known),
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
        await self._loops.aclose()

    def close(self) -> None:
        """Sync :meth:`aclose`, for scripts and notebooks."""
        if background_loop.is_current():
            raise RuntimeError("use 'await gateway.aclose()' inside the gateway's loop")
        run_sync(self.aclose())
