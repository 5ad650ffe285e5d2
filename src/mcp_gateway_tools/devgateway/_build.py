"""Assemble the two ASGI apps from a config: the gateway and the "upstream" side.

The upstream app hosts what would be third parties in production - the sample MCP
servers and the mock OAuth provider - on its own port, so every gateway-to-downstream
hop is a real HTTP request carrying only the credential the gateway chose.
"""

from __future__ import annotations

import secrets
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mcp.shared.auth import OAuthClientInformationFull
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from ._app import GatewayApp, Target
from ._asroutes import authorization_server_routes
from ._auth import Authenticator, TestIdp
from ._authpages import AuthPages
from ._authserver import DevAuthorizationServer, ProtectedResource
from ._config import ConfigError, GatewayConfig, McpOAuthAuth, OAuthAuth, StaticAuth
from ._consent import ConsentManager, OAuthTarget
from ._middleware import LoopbackHostMiddleware, exception_handlers
from ._oauth import ClientRegistration, MockOAuthProvider, TokenInfo
from ._resource import metadata_routes, protect
from ._samples import TOOL_SCOPES, SampleContext, sample_app
from ._servers import Backend, build_proxy_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from ._store import GrantStore

__all__ = ["Built", "build_apps"]


@dataclass
class Built:
    gateway: GatewayApp
    upstream: Starlette
    provider: MockOAuthProvider
    consent: ConsentManager
    authenticator: Authenticator
    idp: TestIdp
    issuer: str
    client_ids: dict[str, str]
    authorization_server: DevAuthorizationServer
    protected: dict[str, ProtectedResource]


def _gateway_owned(provider: MockOAuthProvider, client_id: str) -> Any:
    """Token check of a sample behind the gateway: the mock provider's, for its client."""

    def verify(token: str) -> TokenInfo | None:
        info = provider.introspect(token)
        return info if info is not None and info.client_id == client_id else None

    return verify


def _resource_owned(server: DevAuthorizationServer, url: str) -> Any:
    """Token check of an ``mcp-oauth`` sample: a live token issued for its own URL."""
    return lambda token: server.introspect(token, url)


def _protected_resources(
    config: GatewayConfig, display: dict[str, str], upstream_base: str
) -> dict[str, ProtectedResource]:
    """Each ``mcp-oauth`` sample as a resource: its URL, challenge and supported scopes."""
    found: dict[str, ProtectedResource] = {}
    for name, server in config.servers.items():
        auth = server.auth
        if not isinstance(auth, McpOAuthAuth) or server.sample is None:
            continue
        supported = auth.scopes_supported or sorted(
            set(TOOL_SCOPES.get(server.sample, {}).values())
        )
        scopes = auth.scopes or supported
        unknown = sorted(set(scopes) - set(supported))
        if unknown:
            raise ConfigError(f"servers.{name}.auth.scopes: not in scopes_supported: {unknown}")
        found[name] = ProtectedResource(
            server=name,
            display_name=display[name],
            url=f"{upstream_base}/samples/{name}/mcp",
            scopes=tuple(scopes),
            scopes_supported=tuple(supported),
            users=tuple(server.users),
        )
    return found


def _preregister(config: GatewayConfig, server: DevAuthorizationServer) -> None:
    """The configured ``clients`` of every ``mcp-oauth`` server, at its authorization server."""
    for entry in config.servers.values():
        if not isinstance(entry.auth, McpOAuthAuth):
            continue
        for client in entry.auth.clients:
            server.preregister(
                OAuthClientInformationFull.model_validate(
                    {
                        "client_id": client.client_id,
                        "client_secret": client.client_secret or None,
                        "redirect_uris": client.redirect_uris,
                        "token_endpoint_auth_method": client.token_endpoint_auth_method,
                        "client_name": client.client_name or client.client_id,
                        "grant_types": ["authorization_code", "refresh_token"],
                    }
                )
            )


def _upstream_app(
    config: GatewayConfig,
    provider: MockOAuthProvider,
    client_ids: dict[str, str],
    authorization: tuple[DevAuthorizationServer, AuthPages],
    protected: dict[str, ProtectedResource],
) -> Starlette:
    """The "third parties" port: the mock OAuth provider, the sample MCP servers and the
    ``mcp-oauth`` authorization server, behind the same loopback Host guard as the
    gateway (a browser reaches it too)."""
    server_as, pages = authorization
    samples: dict[str, tuple[Starlette, Any]] = {}
    routes: list[Any] = [*provider.routes()]
    for name, server in config.servers.items():
        if server.sample is None:
            continue
        headers = server.auth.headers if isinstance(server.auth, StaticAuth) else {}
        resource = protected.get(name)
        if resource is None:
            verify = _gateway_owned(provider, client_ids.get(name, ""))
        else:
            verify = _resource_owned(server_as, resource.url)
        samples[name] = sample_app(server.sample, SampleContext(dict(headers), verify))
        if resource is not None:
            routes += metadata_routes(resource, server_as.issuer)
    if protected:
        routes += [*authorization_server_routes(server_as), *pages.routes()]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for sub, _ in samples.values():
                await stack.enter_async_context(sub.router.lifespan_context(sub))
            yield

    for name, (_, app) in samples.items():
        resource = protected.get(name)
        if resource is not None:
            tools = TOOL_SCOPES.get(config.servers[name].sample or "", {})
            app = protect(app, resource, server_as, tools)
        routes.append(Mount(f"/samples/{name}", app=app))
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(LoopbackHostMiddleware)],
        exception_handlers=exception_handlers(),
    )


@dataclass(frozen=True)
class _OAuthSetup:
    targets: dict[str, OAuthTarget]
    client_ids: dict[str, str]


def _oauth_targets(
    config: GatewayConfig,
    provider: MockOAuthProvider,
    display: dict[str, str],
    *,
    gateway_base: str,
    upstream_base: str,
) -> _OAuthSetup:
    """Per per-user-OAuth server: its client at the provider (registered with the
    built-in one) and the URLs of the flow."""
    redirect_uri = f"{gateway_base}/oauth/callback"
    targets: dict[str, OAuthTarget] = {}
    client_ids: dict[str, str] = {}
    for name, server in config.servers.items():
        auth = server.auth
        if not isinstance(auth, OAuthAuth):
            continue
        client_id = auth.client_id or f"devgw-{name}"
        secret = auth.client_secret or secrets.token_urlsafe(24)
        if auth.provider == "builtin":
            provider.register(ClientRegistration(client_id, secret, redirect_uri, display[name]))
            authorize = f"{upstream_base}/oauth/authorize"
            token_url = f"{upstream_base}/oauth/token"
            userinfo: str | None = f"{upstream_base}/oauth/userinfo"
        else:
            authorize, token_url = str(auth.authorize_url), str(auth.token_url)
            userinfo = auth.userinfo_url
        client_ids[name] = client_id
        targets[name] = OAuthTarget(
            name,
            display[name],
            client_id,
            secret,
            authorize,
            token_url,
            tuple(auth.scopes),
            userinfo,
        )
    return _OAuthSetup(targets, client_ids)


def _targets(
    config: GatewayConfig, display: dict[str, str], upstream_base: str
) -> dict[str, Target]:
    """A proxy app per server and per virtual server (which proxies to several)."""
    backends: dict[str, Backend] = {}
    for name, server in config.servers.items():
        url = server.url or f"{upstream_base}/samples/{name}/mcp"
        backends[name] = Backend(name, url, server.timeout or config.gateway.downstream_timeout)
    targets: dict[str, Target] = {}
    for name, server in config.servers.items():
        if isinstance(server.auth, McpOAuthAuth):
            continue  # the app talks to it directly; the gateway does not front it
        targets[name] = Target(
            name=name,
            display_name=display[name],
            app=build_proxy_app(name, display[name], [backends[name]]),
            users=tuple(server.users),
            accounts=tuple(server.accounts),
            timeout=backends[name].timeout,
        )
    for name, virtual in config.virtual_servers.items():
        tool_servers = {ref.partition(".")[2]: ref.partition(".")[0] for ref in virtual.tools}
        by_backend: dict[str, list[str]] = {}
        for tool, server_name in tool_servers.items():
            by_backend.setdefault(server_name, []).append(tool)
        used = [backends[b] for b in sorted(by_backend)]
        vdisplay = virtual.display_name or name
        targets[name] = Target(
            name=name,
            display_name=vdisplay,
            app=build_proxy_app(name, vdisplay, used, tools=by_backend),
            users=tuple(virtual.users),
            accounts=tuple(virtual.accounts),
            timeout=max(b.timeout for b in used),
            tool_servers=tool_servers,
        )
    return targets


def _idp_routes(idp: TestIdp, issuer: str, gateway_base: str) -> list[BaseRoute]:
    """The built-in test IdP's discovery document and JWKS, served by the gateway."""

    async def jwks(request: Request) -> Response:
        return JSONResponse(idp.jwks())

    async def openid(request: Request) -> Response:
        return JSONResponse({"issuer": issuer, "jwks_uri": f"{gateway_base}/idp/jwks.json"})

    return [
        Route("/idp/jwks.json", jwks),
        Route("/idp/.well-known/openid-configuration", openid),
    ]


def build_apps(
    config: GatewayConfig,
    *,
    gateway_base: str,
    upstream_base: str,
    store: GrantStore,
    idp: TestIdp | None = None,
) -> Built:
    """Build both apps for servers listening at ``gateway_base`` and ``upstream_base``."""
    idp = idp or TestIdp()
    issuer = config.idp.issuer or f"{gateway_base}/idp"
    authenticator = Authenticator(config, idp, issuer=issuer)
    provider = MockOAuthProvider(access_token_ttl=config.gateway.access_token_ttl)
    display = {n: s.display_name or n for n, s in config.servers.items()}
    oauth = _oauth_targets(
        config, provider, display, gateway_base=gateway_base, upstream_base=upstream_base
    )
    consent = ConsentManager(
        store=store,
        targets=oauth.targets,
        authenticator=authenticator,
        base_url=gateway_base,
        link_ttl=config.gateway.consent_link_ttl,
    )
    targets = _targets(config, display, upstream_base)
    protected = _protected_resources(config, display, upstream_base)
    server_as = DevAuthorizationServer(
        issuer=upstream_base,
        resources=protected,
        access_token_ttl=config.gateway.access_token_ttl,
        request_ttl=config.gateway.consent_link_ttl,
    )
    _preregister(config, server_as)
    pages = AuthPages(server_as, authenticator)
    static = {
        n: dict(s.auth.headers) for n, s in config.servers.items() if isinstance(s.auth, StaticAuth)
    }
    gateway = GatewayApp(
        targets=targets,
        static_headers=static,
        display_names={**display, **{n: t.display_name for n, t in targets.items()}},
        authenticator=authenticator,
        consent=consent,
        extra_routes=_idp_routes(idp, issuer, gateway_base),
        max_body_bytes=config.gateway.max_body_bytes,
        style=config.gateway.auth_required_style,
        direct_urls={name: r.url for name, r in protected.items()},
    )
    return Built(
        gateway=gateway,
        upstream=_upstream_app(config, provider, oauth.client_ids, (server_as, pages), protected),
        provider=provider,
        consent=consent,
        authenticator=authenticator,
        idp=idp,
        issuer=issuer,
        client_ids=oauth.client_ids,
        authorization_server=server_as,
        protected=protected,
    )
