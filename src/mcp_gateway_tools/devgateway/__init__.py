"""A local MCP gateway with per-user consent, for development, tests and notebooks.

It behaves like a production MCP gateway (see docs/dev-gateway.md): one bearer token
in, per-server outbound credentials, HTTP 401 with consent links for per-user OAuth,
virtual servers. Start it with ``DevGateway()`` (``with`` or ``async with``), the
``devgateway`` pytest fixture, or ``mcp-gateway-tools dev-gateway``.

The server side needs the ``devgateway`` extra (Starlette, uvicorn, authlib, joserfc).
Names that need it load on first use, so importing this package (or its pytest plugin)
without the extra works and the first use says which extra to install.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .._extras import require
from ._config import (
    DEFAULT_CONFIG_TOML,
    MCP_OAUTH_CONFIG_TOML,
    ConfigError,
    GatewayConfig,
    default_config,
    load_config,
    mcp_oauth_config,
    parse_config,
)
from ._consent_helper import ConsentError, ConsentResult

if TYPE_CHECKING:
    from ._auth import Principal
    from ._browser import BrowserConsent
    from ._runner import DevGateway, Tokens

__all__ = [
    "DEFAULT_CONFIG_TOML",
    "MCP_OAUTH_CONFIG_TOML",
    "BrowserConsent",
    "ConfigError",
    "ConsentError",
    "ConsentResult",
    "DevGateway",
    "GatewayConfig",
    "Principal",
    "Tokens",
    "default_config",
    "load_config",
    "mcp_oauth_config",
    "parse_config",
]

_LAZY = {
    "BrowserConsent": "._browser",
    "DevGateway": "._runner",
    "Tokens": "._runner",
    "Principal": "._auth",
}
EXTRA_HINT = "pip install 'mcp-gateway-tools[devgateway]'"


def load_server_module(module: str) -> Any:
    """Import a module that needs the ``devgateway`` extra, with an actionable error."""
    require("devgateway", "the dev gateway")
    return importlib.import_module(module, __name__)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(load_server_module(module), name)
