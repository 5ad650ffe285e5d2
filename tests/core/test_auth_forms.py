"""All three wire forms of "authorization required", end to end through the dev gateway.

The dev gateway can speak each form: its 401 consent body (TrueFoundry-style), the
JSON-RPC error -32042 (MCP 2025-11-25) and a URL input request in a 2026-07-28
``input_required`` result. The core turns each into the one AuthorizationRequired, and
the same call succeeds after the user consents.
"""

from __future__ import annotations

import pytest

from mcp_gateway_tools import AuthorizationRequired, Gateway
from mcp_gateway_tools.devgateway import DEFAULT_CONFIG_TOML, DevGateway, parse_config


@pytest.mark.parametrize("style", ["http-401", "url-elicitation", "input-required"])
async def test_each_wire_form_becomes_authorization_required_then_succeeds_after_consent(
    style: str,
) -> None:
    config = parse_config(DEFAULT_CONFIG_TOML + f'\n[gateway]\nauth_required_style = "{style}"\n')
    async with DevGateway(config) as dev, Gateway(dev.base_url) as gw:
        alice = dev.tokens.user("alice")
        with pytest.raises(AuthorizationRequired) as caught:
            await gw.call_tool("mail", "list_messages", {}, token=alice)
        [url] = caught.value.authorization_urls.values()
        assert url.startswith(dev.base_url)
        assert await dev.aconsent("alice", "mail", link=url) is not None
        result = await gw.call_tool("mail", "list_messages", {}, token=alice)
    assert not result.is_error
    assert result.structured_content["owner"] == "alice@example.com"
