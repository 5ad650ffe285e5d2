"""One tool list per toolkit that is right for every user, at every request.

Why this exists: a tool list loaded once at start-up with one user's token is that
user's list. If they had not connected Mail, everyone was offered only
``authorize_mail``; if no user exists at start-up there is nothing to load with. A
:class:`ToolCatalog` instead answers "which tools do I offer *this* identity now?"
per request, from three sources, best first:

1. this identity's own listing (the gateway's answer for them; cached per identity by
   the Gateway, so a request costs nothing once it has been listed);
2. the latest listing of that server by *any* identity (the service token included):
   a user who has not consented yet is offered the real tools, and calling one
   returns the consent observation from the call itself;
3. an ``authorize_<server>`` placeholder, only while no identity has ever been able to
   list that server; the real tools replace it as soon as someone lists it.

Names are computed over every (server, tool) pair the catalog has seen, so one tool
has one name for every user (two users are never offered the same name for different
tools). The gateway still decides every call: offering a tool is not permission.

A server that fails to list for a reason other than consent is never dropped
silently: ``on_server_error="warn"`` (default) omits it from this answer, emits a
:class:`~mcp_gateway_tools.ToolLoadWarning` and keeps the typed error in
:attr:`ToolCatalog.load_errors`; ``"raise"`` raises
:class:`~mcp_gateway_tools.ToolLoadError` naming every failing server. A rejected
token (:class:`~mcp_gateway_tools.InvalidToken`) and a missing one always raise: they
are about the caller, not one server.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Generic, Literal, TypeVar

from ._app_oauth import principal
from ._content import ToolInfo
from ._errors import (
    AuthorizationRequired,
    GatewayError,
    InvalidToken,
    MissingUserToken,
    ToolLoadError,
    ToolLoadWarning,
)
from ._toolset import (
    _EMPTY_SCHEMA,
    AuthorizationOnLoad,
    ToolFilter,
    ToolSpec,
    _allowed,
    _placeholder,
    _safe,
    unique_names,
)

if TYPE_CHECKING:
    from ._gateway import Gateway
    from ._tokens import TokenInput

__all__ = ["ServerErrorPolicy", "ToolCatalog", "WrappedTools"]

logger = logging.getLogger("mcp_gateway_tools.toolset")

ServerErrorPolicy = Literal["warn", "raise"]
"""What loading does with a server that fails for a reason other than consent."""

MAX_KNOWN_TOOLS = 10_000
"""(server, tool) pairs remembered for naming; a hostile gateway cannot grow it further."""

T = TypeVar("T")


class WrappedTools(Generic[T]):
    """One framework tool per spec object, so every user offered a tool gets the same
    one (both adapters' toolkits keep one). Bounded like the catalog's names."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str, str], tuple[ToolSpec, T]] = {}

    def get(self, spec: ToolSpec, wrap: Callable[[ToolSpec], T]) -> T:
        """The tool made for this very spec object, or ``wrap(spec)`` (a new spec for
        the same name, as after a refresh, gets a new tool)."""
        key = (spec.server, spec.mcp_name, spec.name)
        hit = self._known.get(key)
        if hit is not None and hit[0] is spec:
            return hit[1]
        tool = wrap(spec)
        if len(self._known) < MAX_KNOWN_TOOLS or key in self._known:
            self._known[key] = (spec, tool)
        return tool


class ToolCatalog:
    """The tools to offer each identity, shared by every request of one toolkit/spec.

    Args:
        gateway: the Gateway the servers are listed through.
        servers: server aliases, in the order tools are offered.
        tool_filter: see :data:`~mcp_gateway_tools.ToolFilter`.
        name_prefix: prepended to every tool name.
        on_authorization_required: ``"placeholder"`` (default) or ``"raise"`` when a
            server cannot be listed before consent and nobody has listed it yet.
        on_server_error: ``"warn"`` (default) or ``"raise"``, see the module docs.
        max_identities: identities whose last offer is remembered (least recent first
            out), which lets a tool call find the tool its model was offered.
    """

    def __init__(
        self,
        gateway: Gateway,
        servers: Sequence[str],
        *,
        tool_filter: ToolFilter | None = None,
        name_prefix: str | None = None,
        on_authorization_required: AuthorizationOnLoad = "placeholder",
        on_server_error: ServerErrorPolicy = "warn",
        max_identities: int = 4096,
    ) -> None:
        self.gateway = gateway
        self.servers = [gateway.server_name(s) for s in servers]
        self.tool_filter = tool_filter
        self.name_prefix = name_prefix
        self.on_authorization_required: AuthorizationOnLoad = on_authorization_required
        self.on_server_error: ServerErrorPolicy = on_server_error
        self.load_errors: dict[str, GatewayError] = {}
        """The last failure (other than consent) of each server that is failing now."""
        self._shared: dict[str, tuple[ToolInfo, ...]] = {}
        self._placeholders: dict[str, ToolSpec] = {}
        self._known: dict[tuple[str, str], None] = {}
        self._names: dict[tuple[str, str], str] = {}
        self._specs: dict[tuple[str, str], ToolSpec] = {}
        self._offers: OrderedDict[str, dict[str, ToolSpec]] = OrderedDict()
        self._max_identities = max_identities

    def __repr__(self) -> str:
        return f"ToolCatalog(servers={self.servers!r}, listed={sorted(self._shared)})"

    def shared_listing(self, server: str) -> tuple[ToolInfo, ...] | None:
        """The latest listing of ``server`` by any identity (None: nobody listed it yet)."""
        return self._shared.get(self.gateway.server_name(server))

    async def offer(
        self, token: TokenInput | None = None, *, refresh: bool = False
    ) -> list[ToolSpec]:
        """The specs to offer the identity a call made now would carry.

        Lists every server for that identity concurrently (the Gateway caches each
        identity's listing, so a known identity costs no request); ``refresh`` re-lists.
        """
        identity = await principal(self.gateway, token)  # MissingUserToken

        outcomes = await asyncio.gather(
            *(self.gateway.list_tools(s, token=token, refresh=refresh) for s in self.servers),
            return_exceptions=True,
        )
        listed: list[tuple[ToolInfo, ...]] = []
        placeholders: list[ToolSpec] = []
        failed: dict[str, GatewayError] = {}
        for server, outcome in zip(self.servers, outcomes, strict=True):
            if isinstance(outcome, MissingUserToken | InvalidToken):
                raise outcome
            if isinstance(outcome, AuthorizationRequired):
                shared = self._shared.get(server)
                if shared is not None:
                    listed.append(shared)  # the call will answer with the consent request
                elif self.on_authorization_required == "raise":
                    raise outcome
                else:
                    placeholders.append(self._placeholder(server, outcome))
                self.load_errors.pop(server, None)
            elif isinstance(outcome, GatewayError):
                failed[server] = outcome
            elif isinstance(outcome, BaseException):
                raise outcome  # cancellation, or a bug: never swallowed
            else:
                tools = tuple(t for t in outcome if _allowed(t, self.tool_filter))
                self._shared[server] = tools
                self.load_errors.pop(server, None)
                listed.append(tools)
        self._report(failed, nothing_else=not listed and not placeholders)
        specs = self._specs_for([t for tools in listed for t in tools]) + placeholders
        self._remember(identity, specs)
        return specs

    async def offered(self, token: TokenInput | None, name: str) -> ToolSpec | None:
        """The spec called ``name`` in the identity's last offer (None if not offered)."""
        identity = await principal(self.gateway, token)
        offer = self._offers.get(identity)
        return offer.get(name) if offer is not None else None

    async def find(self, token: TokenInput | None, name: str) -> ToolSpec | None:
        """The spec ``name`` for this identity: its last offer, else a fresh one."""
        spec = await self.offered(token, name)
        if spec is not None:
            return spec
        spec = next((s for s in await self.offer(token) if s.name == name), None)
        return spec if spec is not None else self._placeholder_named(name)

    # -- machinery ----------------------------------------------------------------------

    def _report(self, failed: dict[str, GatewayError], *, nothing_else: bool) -> None:
        """Make every failing server visible: a typed error or a typed warning, per server.

        Under ``"warn"``, when every server failed there is no list to offer: the first
        server's own error is raised, as a single-server toolkit always did.
        """
        if not failed:
            return
        self.load_errors.update(failed)
        if self.on_server_error == "raise":
            raise ToolLoadError(failed)
        if nothing_else:
            raise next(iter(failed.values()))
        for server, error in failed.items():
            logger.warning(
                "server %s not loaded: %s: %s", server, type(error).__name__, error.message
            )
            warnings.warn(ToolLoadWarning(server, error), stacklevel=4)

    def _placeholder(self, server: str, error: AuthorizationRequired | None) -> ToolSpec:
        """One placeholder per server, shared by every user. It keeps the services'
        display names but no link (each user's own consent link comes from their call)."""
        spec = self._placeholders.get(server)
        if spec is None:
            names_only = AuthorizationRequired(
                error.message if error is not None else "",
                authorization_urls={},
                server_names={},
                server=server,
            )
            if error is not None:  # already cleaned by the error itself
                names_only.server_names = dict(error.server_names)
            spec = self._placeholders[server] = _placeholder(server, names_only)
        return spec

    def _placeholder_named(self, name: str) -> ToolSpec | None:
        """An ``authorize_<server>`` the model was offered before the real tools came
        (possibly by another process, before a resume): it still runs, and answers
        that the server is authorized now."""
        for server in self.servers:
            if name == f"authorize_{_safe(server)}":
                return self._placeholder(server, None)
        return None

    def _specs_for(self, tools: list[ToolInfo]) -> list[ToolSpec]:
        """Specs with names stable across users; one spec object per tool version."""
        pairs = [(t.server, t.name) for t in tools]
        if any(p not in self._known for p in pairs) and len(self._known) < MAX_KNOWN_TOOLS:
            self._known.update(dict.fromkeys(pairs))
            known = list(self._known)
            self._names = dict(zip(known, unique_names(known, self.name_prefix), strict=True))
        if any(p not in self._names for p in pairs):  # beyond the bound: name this answer alone
            names = dict(zip(pairs, unique_names(pairs, self.name_prefix), strict=True))
        else:
            names = self._names
        specs = []
        for tool, pair in zip(tools, pairs, strict=True):
            name = names[pair]
            spec = self._specs.get(pair)
            if spec is None or spec.name != name or spec.info != tool:
                spec = ToolSpec(
                    server=tool.server,
                    mcp_name=tool.name,
                    name=name,
                    description=tool.description or tool.title or tool.name,
                    input_schema=tool.input_schema or dict(_EMPTY_SCHEMA),
                    info=tool,
                )
                if len(self._specs) < MAX_KNOWN_TOOLS or pair in self._specs:
                    self._specs[pair] = spec
            specs.append(spec)
        return specs

    def _remember(self, identity: str, specs: list[ToolSpec]) -> None:
        self._offers[identity] = {s.name: s for s in specs}
        self._offers.move_to_end(identity)
        while len(self._offers) > self._max_identities:
            self._offers.popitem(last=False)
