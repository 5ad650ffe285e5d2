"""Dev gateway configuration: one TOML file validated by pydantic, plus a built-in default.

Why pydantic: a typo in a hand-written config must fail at startup with a message that
names the bad key (``servers.mail.auth.type``), not as a confusing 500 at the first call.
Every model forbids unknown keys for the same reason.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "DEFAULT_CONFIG_TOML",
    "MCP_OAUTH_CONFIG_TOML",
    "AccountConfig",
    "ConfigError",
    "GatewayConfig",
    "GatewaySettings",
    "IdpConfig",
    "McpOAuthAuth",
    "NoAuth",
    "OAuthAuth",
    "PreRegisteredClient",
    "ServerConfig",
    "StaticAuth",
    "UserConfig",
    "VirtualServerConfig",
    "default_config",
    "load_config",
    "mcp_oauth_config",
    "parse_config",
]

SAMPLE_NAMES = ("knowledge", "search", "mail", "calendar")
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class ConfigError(ValueError):
    """The configuration is invalid; the message names every bad key."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GatewaySettings(_Model):
    """Process-wide limits. Port 0 picks a free loopback port."""

    host: Literal["127.0.0.1", "localhost", "::1"] = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)
    max_body_bytes: int = Field(default=1_048_576, gt=0)
    downstream_timeout: float = Field(default=30.0, gt=0)
    consent_link_ttl: float = Field(default=600.0, gt=0)
    access_token_ttl: float = Field(default=3600.0, gt=0)
    store_path: str | None = None
    # "http-401": the gateway's 401 consent body (default; docs/dev-gateway.md);
    # "url-elicitation": the MCP 2025-11-25 JSON-RPC error -32042 on tools/call instead;
    # "input-required": the 2026-07-28 tools/call result carrying a URL input request.
    auth_required_style: Literal["http-401", "url-elicitation", "input-required"] = "http-401"


class IdpConfig(_Model):
    """Test identity provider: JWTs signed by a key generated at startup.

    ``issuer`` empty means ``<gateway base URL>/idp``. ``jwks_url`` set means trust
    that remote JWKS instead of the built-in key (for a real IdP).
    """

    issuer: str = ""
    audience: str = "mcp-gateway"
    jwks_url: str | None = None
    token_ttl: float = Field(default=3600.0, gt=0)


class UserConfig(_Model):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    display_name: str = ""
    tokens: list[str] = Field(default_factory=list)


class AccountConfig(_Model):
    """A virtual account: a service identity with a static token (scenario A)."""

    token: str = Field(min_length=8)
    description: str = ""


class NoAuth(_Model):
    type: Literal["none"] = "none"


class StaticAuth(_Model):
    """Shared credentials: the same headers for every caller (e.g. an API key)."""

    type: Literal["static"]
    headers: dict[str, str]


class OAuthAuth(_Model):
    """Per-user OAuth: each user consents once; the gateway forwards their token.

    ``provider = "builtin"`` uses the mock provider shipped with the dev gateway;
    otherwise give ``authorize_url`` and ``token_url`` of a real provider, and its
    ``userinfo_url`` so the callback can check that the login matches the link's user
    (the built-in provider always gets that check).
    """

    type: Literal["oauth"]
    provider: str = "builtin"
    scopes: list[str] = Field(default_factory=list)
    client_id: str = ""
    client_secret: str = ""
    authorize_url: str | None = None
    token_url: str | None = None
    userinfo_url: str | None = None

    @model_validator(mode="after")
    def _urls_for_external(self) -> OAuthAuth:
        if self.provider != "builtin" and not (self.authorize_url and self.token_url):
            raise ValueError("an external OAuth provider needs authorize_url and token_url")
        return self


class PreRegisteredClient(_Model):
    """A client registered with the ``mcp-oauth`` authorization server beforehand (as
    an app's developer would at a provider's console), next to dynamic registration."""

    client_id: str = Field(min_length=1)
    client_secret: str = ""
    redirect_uris: list[str] = Field(min_length=1)
    token_endpoint_auth_method: Literal["client_secret_basic", "client_secret_post", "none"] = (
        "client_secret_basic"
    )
    client_name: str = ""

    @model_validator(mode="after")
    def _secret_for_method(self) -> PreRegisteredClient:
        if (self.token_endpoint_auth_method == "none") != (not self.client_secret):
            raise ValueError("give client_secret exactly when the auth method is not 'none'")
        return self


class McpOAuthAuth(_Model):
    """A standard OAuth-protected MCP server (MCP 2025-11-25 authorization) that the
    gateway does not front: the app connects to it directly and runs OAuth itself.

    The dev gateway serves it on its upstream port with protected-resource metadata and
    its own authorization server (dynamic registration, PKCE S256, refresh rotation,
    revocation, a sign-in and consent page). ``scopes`` are the ones the 401 challenge
    asks for; ``scopes_supported`` (default: every scope the sample's tools need) bounds
    what a client may request, so a tool needing more answers 403 ``insufficient_scope``.
    ``clients`` are pre-registered at its authorization server (dynamic registration
    stays open too).
    """

    type: Literal["mcp-oauth"]
    scopes: list[str] = Field(default_factory=list)
    scopes_supported: list[str] = Field(default_factory=list)
    clients: list[PreRegisteredClient] = Field(default_factory=list)


AuthConfig = Annotated[NoAuth | StaticAuth | OAuthAuth | McpOAuthAuth, Field(discriminator="type")]


class _AccessRules(_Model):
    """Who may use a server: user names/emails and account names; ``"*"`` means all."""

    users: list[str] = Field(default_factory=lambda: ["*"])
    accounts: list[str] = Field(default_factory=list)


class ServerConfig(_AccessRules):
    display_name: str = ""
    url: str | None = None
    sample: Literal["knowledge", "search", "mail", "calendar"] | None = None
    auth: AuthConfig = Field(default_factory=NoAuth)
    timeout: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_target(self) -> ServerConfig:
        if (self.url is None) == (self.sample is None):
            raise ValueError("set exactly one of 'url' (remote MCP server) or 'sample'")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError("'url' must be an http(s) URL")
        if isinstance(self.auth, McpOAuthAuth) and self.sample is None:
            raise ValueError("auth type 'mcp-oauth' needs a 'sample' server (the gateway hosts it)")
        return self


class VirtualServerConfig(_AccessRules):
    """A server made of chosen tools of other servers, written ``"<server>.<tool>"``."""

    display_name: str = ""
    tools: list[str] = Field(min_length=1)


class GatewayConfig(_Model):
    gateway: GatewaySettings = Field(default_factory=GatewaySettings)
    idp: IdpConfig = Field(default_factory=IdpConfig)
    users: dict[str, UserConfig] = Field(default_factory=dict)
    accounts: dict[str, AccountConfig] = Field(default_factory=dict)
    servers: dict[str, ServerConfig] = Field(default_factory=dict)
    virtual_servers: dict[str, VirtualServerConfig] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _cross_checks(self) -> GatewayConfig:
        import re

        names = list(self.servers) + list(self.virtual_servers)
        for name in names:
            if not re.match(_NAME, name):
                raise ValueError(f"server name {name!r} must match {_NAME}")
        dup = set(self.servers) & set(self.virtual_servers)
        if dup:
            raise ValueError(f"names used by both servers and virtual_servers: {sorted(dup)}")
        seen_tokens: set[str] = set()
        for where, token in self._all_tokens():
            if token in seen_tokens:
                raise ValueError(f"{where}: token is used twice")
            seen_tokens.add(token)
        for vname, virtual in self.virtual_servers.items():
            tool_names: set[str] = set()
            for ref in virtual.tools:
                server, _, tool = ref.partition(".")
                if not tool:
                    raise ValueError(f"virtual_servers.{vname}.tools: {ref!r} is not 'server.tool'")
                if server not in self.servers:
                    raise ValueError(
                        f"virtual_servers.{vname}.tools: {ref!r} names unknown server {server!r}"
                    )
                if isinstance(self.servers[server].auth, McpOAuthAuth):
                    raise ValueError(
                        f"virtual_servers.{vname}.tools: {ref!r}: server {server!r} uses "
                        "'mcp-oauth' (the app holds its tokens), so the gateway cannot proxy it"
                    )
                if tool in tool_names:
                    raise ValueError(f"virtual_servers.{vname}.tools: tool name {tool!r} twice")
                tool_names.add(tool)
        return self

    def _all_tokens(self) -> list[tuple[str, str]]:
        found = [(f"users.{n}.tokens", t) for n, u in self.users.items() for t in u.tokens]
        found += [(f"accounts.{n}.token", a.token) for n, a in self.accounts.items()]
        return found


def parse_config(text: str, *, source: str = "<config>") -> GatewayConfig:
    """Parse TOML text; raise ConfigError naming the source and each bad key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    try:
        return GatewayConfig.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
            lines.append(f"  {loc or '<root>'}: {err['msg']}")
        raise ConfigError(f"{source}: invalid configuration:\n" + "\n".join(lines)) from None


def load_config(path: str | Path) -> GatewayConfig:
    """Read and validate a TOML config file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read config: {exc.strerror}") from None
    return parse_config(text, source=str(file))


DEFAULT_CONFIG_TOML = """
# Built-in dev gateway configuration (used when no file is given).
# Tokens are fixed and public: this gateway only ever listens on loopback.

[users.alice]
email = "alice@example.com"
display_name = "Alice"
tokens = ["dev-pat-alice"]

[users.bob]
email = "bob@example.com"
display_name = "Bob"
tokens = ["dev-pat-bob"]

[accounts.ci-bot]
token = "dev-va-ci-bot"
description = "Virtual account for service (scenario A) calls"

[servers.knowledge]
display_name = "Knowledge Base"
sample = "knowledge"
accounts = ["*"]
auth = { type = "static", headers = { Authorization = "Bearer dev-kb-shared-credential" } }

[servers.search]
display_name = "Web Search"
sample = "search"
accounts = ["*"]
auth = { type = "static", headers = { X-API-Key = "dev-search-api-key" } }

[servers.mail]
display_name = "Mail"
sample = "mail"
accounts = ["*"]
auth = { type = "oauth", scopes = ["mail.read", "mail.send"] }

[servers.calendar]
display_name = "Calendar"
sample = "calendar"
accounts = ["*"]
auth = { type = "oauth", scopes = ["calendar.read", "calendar.write"] }

[virtual_servers.workspace]
display_name = "Workspace"
accounts = ["*"]
tools = [
  "knowledge.search_docs",
  "knowledge.get_article",
  "search.web_search",
  "mail.list_messages",
  "mail.read_message",
  "mail.mail_whoami",
]
"""


def default_config() -> GatewayConfig:
    """The built-in configuration: alice, bob, ci-bot, four sample servers, workspace."""
    return parse_config(DEFAULT_CONFIG_TOML, source="<built-in default config>")


MCP_OAUTH_CONFIG_TOML = DEFAULT_CONFIG_TOML.replace(
    'auth = { type = "oauth", scopes = ["calendar.read", "calendar.write"] }',
    'auth = { type = "mcp-oauth", scopes = ["calendar.read"] }',
)


def mcp_oauth_config() -> GatewayConfig:
    """The default configuration with ``calendar`` as a standard OAuth-protected MCP
    server (``mcp-oauth``): the app runs OAuth for it; its first grant has
    ``calendar.read`` only, so ``create_event`` asks for ``calendar.write`` (step-up)."""
    return parse_config(MCP_OAUTH_CONFIG_TOML, source="<built-in mcp-oauth config>")
