"""IBM ContextForge (``mcp-contextforge-gateway`` 1.0.7) run for the interop suite.

Its admin API is driven exactly as an operator would: log in as the platform admin,
register the upstream as a *gateway*, bundle its tools into a *virtual server*
(``/servers/<uuid>/mcp``), create users, give them a **global** role with
``tools.execute`` (new users lack it, and roles on a personal team do not count),
issue and revoke API tokens. The OAuth upstream is registered with an
authorization-code config pointing at :mod:`tests.interop.oauth_server`; a user's
consent is the browser flow ``/oauth/authorize/<gateway_id>`` → consent page →
``/oauth/callback``, driven here with httpx2 while signed in to ContextForge.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
from joserfc import jwt
from joserfc.jwk import OctKey

from tests.interop.harness import GatewayProcess, HarnessError, venv_bin
from tests.interop.oauth_server import CLIENT_ID, CLIENT_SECRET

ADMIN_EMAIL = "admin@example.com"
PASSWORD = "Zq7-Interop-Secret-2026!"  # test users' password (not derived from names)
TOOL_USER_ROLE = "interop_tool_user"
TOOL_USER_PERMISSIONS = [
    "tools.read",
    "tools.execute",
    "servers.read",
    "servers.use",
    "gateways.read",
    "resources.read",
    "prompts.read",
    "tokens.create",
    "tokens.read",
    "tokens.revoke",
]


def contextforge_process(
    venv: Path, workdir: Path, port: int, *, mcp_requests_per_minute: int | None = None
) -> GatewayProcess:
    """A ContextForge on 127.0.0.1 with SQLite and in-memory caches in ``workdir``.

    The main instance lifts the rate limits (the whole suite shares one client IP, and
    ContextForge counts per IP); the dedicated rate-limit instance sets a low MCP limit
    so one test can reach it without poisoning the others.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    unlimited = "100000"
    env = {
        "DATABASE_URL": f"sqlite:///{workdir / 'contextforge.db'}",
        "CACHE_TYPE": "memory",
        "SSRF_ALLOW_LOCALHOST": "true",
        "JWT_SECRET_KEY": secrets.token_urlsafe(32),
        "AUTH_ENCRYPTION_SECRET": secrets.token_urlsafe(32),
        "PLATFORM_ADMIN_EMAIL": ADMIN_EMAIL,
        "PLATFORM_ADMIN_PASSWORD": PASSWORD,
        "PASSWORD_CHANGE_ENFORCEMENT_ENABLED": "false",
        "MCPGATEWAY_UI_ENABLED": "false",
        "MCPGATEWAY_ADMIN_API_ENABLED": "true",
        "RATE_LIMITING_REDIS_ENABLED": "false",
        "RATE_LIMIT_CRITICAL_RPM": unlimited,
        "RATE_LIMIT_HIGH_RPM": unlimited,
        "RATE_LIMIT_MEDIUM_RPM": str(mcp_requests_per_minute or unlimited),
        # Forward the caller's identity to upstreams (X-Forwarded-User-Email, ...).
        "IDENTITY_PROPAGATION_ENABLED": "true",
        "IDENTITY_PROPAGATION_MODE": "headers",
        "LOG_LEVEL": "INFO",
    }
    name = "contextforge" if mcp_requests_per_minute is None else "contextforge-limited"
    return GatewayProcess(
        name=name,
        argv=[venv_bin(venv, "mcpgateway"), "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=workdir,
        port=port,
    )


@dataclass
class ContextForge:
    """An admin's handle on a running ContextForge."""

    process: GatewayProcess
    _admin_token: str | None = None
    _role_id: str | None = None
    users: dict[str, str] = field(default_factory=dict)  # email -> login JWT

    @property
    def url(self) -> str:
        return self.process.url

    @property
    def jwt_secret(self) -> str:
        return self.process.env["JWT_SECRET_KEY"]

    def client(self, token: str | None = None) -> httpx2.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx2.Client(base_url=self.url, headers=headers, timeout=60.0)

    def _check(self, answer: httpx2.Response, what: str) -> Any:
        if answer.status_code >= 400:
            raise HarnessError(f"ContextForge {what}: HTTP {answer.status_code} {answer.text}")
        return answer.json() if answer.content else None

    # -- identities ---------------------------------------------------------------

    def login(self, email: str, password: str = PASSWORD) -> str:
        """A session JWT, as the admin UI gets it at sign-in."""
        with self.client() as http:
            answer = http.post("/auth/email/login", json={"email": email, "password": password})
        token: str = self._check(answer, f"login {email}")["access_token"]
        return token

    @property
    def admin_token(self) -> str:
        if self._admin_token is None:
            self._admin_token = self.login(ADMIN_EMAIL)
        return self._admin_token

    def admin(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        with self.client(self.admin_token) as http:
            return self._check(http.request(method, path, **kwargs), what)

    def create_user(self, email: str, *, may_execute_tools: bool = True) -> str:
        """Create a user (optionally with the global tool-use role); their login JWT."""
        self.admin(
            "POST",
            "/auth/email/admin/users",
            f"create user {email}",
            json={"email": email, "password": PASSWORD, "full_name": email.split("@")[0]},
        )
        if may_execute_tools:
            self.grant_tool_use(email)
        self.users[email] = self.login(email)
        return self.users[email]

    def grant_tool_use(self, email: str) -> None:
        """Assign the global role carrying ``tools.execute`` (personal-team roles don't count)."""
        if self._role_id is None:
            role = self.admin(
                "POST",
                "/rbac/roles",
                "create role",
                json={
                    "name": TOOL_USER_ROLE,
                    "scope": "global",
                    "permissions": TOOL_USER_PERMISSIONS,
                },
            )
            self._role_id = role["id"]
        self.admin(
            "POST",
            f"/rbac/users/{email}/roles",
            f"assign role to {email}",
            json={"role_id": self._role_id, "scope": "global"},
        )

    def api_token(self, email: str, name: str) -> tuple[str, str]:
        """An API token for ``email`` issued by the admin: (token, token id)."""
        created = self.admin(
            "POST",
            "/tokens",
            f"create token for {email}",
            json={"name": name, "user_email": email, "expires_in_days": 1},
        )
        return created["access_token"], created["token"]["id"]

    def revoke(self, token_id: str) -> None:
        """Revoke another user's API token, as the admin does from the token oversight."""
        with self.client(self.admin_token) as http:
            answer = http.delete(f"/tokens/admin/{token_id}")
        if answer.status_code not in (200, 204):
            raise HarnessError(f"ContextForge revoke: HTTP {answer.status_code} {answer.text}")

    def expired_copy(self, token: str) -> str:
        """The same user's token, re-signed by ContextForge's own key, expired an hour ago."""
        claims = json.loads(_b64(token.split(".")[1]))
        claims["exp"] = int(time.time()) - 3600
        claims["iat"] = claims["exp"] - 600
        key = OctKey.import_key(self.jwt_secret)
        return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, key)

    # -- servers ----------------------------------------------------------------------

    def register_gateway(self, name: str, url: str, **auth: Any) -> dict[str, Any]:
        """Register an upstream MCP server (ContextForge calls it a gateway)."""
        body = {"name": name, "url": url, "transport": "STREAMABLEHTTP", **auth}
        gateway: dict[str, Any] = self.admin("POST", "/gateways", f"register {name}", json=body)
        return gateway

    def register_oauth_gateway(self, name: str, url: str, oauth_base: str) -> dict[str, Any]:
        """An upstream whose every user needs their own OAuth grant (authorization code)."""
        return self.register_gateway(
            name,
            url,
            auth_type="oauth",
            oauth_config={
                "grant_type": "authorization_code",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "authorization_url": f"{oauth_base}/authorize",
                "token_url": f"{oauth_base}/token",
                "redirect_uri": f"{self.url}/oauth/callback",
                "scopes": ["echo"],
            },
        )

    def tool_ids(self, gateway_id: str) -> list[str]:
        tools = self.admin("GET", "/tools", "list tools", params={"limit": 0})
        items = tools["items"] if isinstance(tools, dict) else tools
        return [t["id"] for t in items if t.get("gatewayId") == gateway_id]

    def create_server(self, name: str, tool_ids: list[str]) -> str:
        """A virtual server bundling ``tool_ids``; its uuid (the URL is /servers/<uuid>/mcp)."""
        server = self.admin(
            "POST",
            "/servers",
            f"create server {name}",
            json={"server": {"name": name, "associated_tools": tool_ids}},
        )
        return str(server["id"])

    def server_url(self, server_id: str) -> str:
        return f"{self.url}/servers/{server_id}/mcp"

    def fetch_tools_after_consent(self, gateway_id: str) -> None:
        """What the admin UI's "Fetch tools" button does once the admin has consented."""
        self.admin("POST", f"/oauth/fetch-tools/{gateway_id}", "fetch tools after OAuth")


def follow_consent_link(link: str, session_jwt: str, user: str) -> httpx2.Response:
    """Open a ContextForge consent link as a signed-in browser would, and approve.

    The browser holds ContextForge's session cookie (``jwt_token``); ContextForge
    redirects to the authorization server's consent page, where ``user`` approves;
    the authorization server redirects back to ContextForge's callback, which
    exchanges the code and stores the user's token. Returns the callback's answer.
    """
    browser_headers = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}
    with httpx2.Client(timeout=60.0, follow_redirects=False, headers=browser_headers) as browser:
        browser.cookies.set("jwt_token", session_jwt, domain="127.0.0.1")
        answer = browser.get(link)
        if answer.status_code not in (302, 303, 307):
            raise HarnessError(f"consent link {link}: HTTP {answer.status_code} {answer.text}")
        consent_page = browser.get(answer.headers["location"])
        form = _hidden_fields(consent_page.text)
        approved = browser.post(
            str(consent_page.url).split("?")[0],
            data={**form, "username": user, "decision": "approve"},
        )
        return browser.get(approved.headers["location"])


def _hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of the consent form (our own page, so a simple scan is enough)."""
    import html
    import re

    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    return {name: html.unescape(value) for name, value in fields}


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
