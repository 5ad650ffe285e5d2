"""OAuth run by the app for each of its users, for servers whose gateway does not own it.

The seed's gateway holds users' downstream grants itself; many MCP servers and some
gateways (LiteLLM's OAuth-protected servers) expect the *client* to run OAuth. Then the
app is each user's OAuth client::

    gateway = Gateway(
        servers={"docs": Server("https://docs.example.com/mcp", oauth=OAuth())},
        oauth=OAuthClient(redirect_uri="https://app.example.com/oauth/callback"),
    )
    app.routes.append(callback_route(gateway, user_of=lambda request: request.session["uid"]))

    with app_user(uid):                     # per request, like user_token()
        await gateway.call_tool("docs", "search", {...})   # AuthorizationRequired first

The first call for a user raises :class:`~mcp_gateway_tools.AuthorizationRequired`
with a link for that user (discovery, client registration, PKCE, ``state``,
``resource`` done here); after they consent, the callback stores their grant and the
same call succeeds. See docs/oauth.md.
"""

from .._app_user import app_user, bound_app_user
from ._callback import UserOf, callback_app, callback_route
from ._config import ClientAuthMethod, OAuth, OAuthClient
from ._records import CLIENTS, GRANTS, LINKS, PENDING
from ._runner import Completed
from ._stores import (
    EncryptedStore,
    EncryptionKey,
    generate_key,
    postgres_token_store,
    sqlite_token_store,
)

__all__ = [
    "CLIENTS",
    "GRANTS",
    "LINKS",
    "PENDING",
    "ClientAuthMethod",
    "Completed",
    "EncryptedStore",
    "EncryptionKey",
    "OAuth",
    "OAuthClient",
    "UserOf",
    "app_user",
    "bound_app_user",
    "callback_app",
    "callback_route",
    "generate_key",
    "postgres_token_store",
    "sqlite_token_store",
]
