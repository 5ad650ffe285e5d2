"""A local MCP gateway with per-user consent, for development, tests and notebooks.

It behaves like a production MCP gateway (see docs/dev-gateway.md): one bearer token
in, per-server outbound credentials, HTTP 401 with consent links for per-user OAuth,
virtual servers. Start it with ``DevGateway()`` (``with`` or ``async with``), the
``devgateway`` pytest fixture, or ``mcp-gateway-tools dev-gateway``.
"""

from __future__ import annotations

from ._auth import Principal
from ._config import (
    DEFAULT_CONFIG_TOML,
    ConfigError,
    GatewayConfig,
    default_config,
    load_config,
    parse_config,
)
from ._consent_helper import ConsentError, ConsentResult
from ._runner import DevGateway, Tokens

__all__ = [
    "DEFAULT_CONFIG_TOML",
    "ConfigError",
    "ConsentError",
    "ConsentResult",
    "DevGateway",
    "GatewayConfig",
    "Principal",
    "Tokens",
    "default_config",
    "load_config",
    "parse_config",
]
