"""Configuration: the built-in default, TOML files, and errors that name the bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_gateway_tools.devgateway import (
    DEFAULT_CONFIG_TOML,
    ConfigError,
    default_config,
    load_config,
    parse_config,
)


def test_default_config_has_the_documented_shape() -> None:
    config = default_config()
    assert set(config.users) == {"alice", "bob"}
    assert set(config.accounts) == {"ci-bot"}
    assert set(config.servers) == {"knowledge", "search", "mail", "calendar"}
    assert config.servers["mail"].auth.type == "oauth"
    assert config.servers["search"].auth.type == "static"
    assert set(config.virtual_servers) == {"workspace"}


def test_load_config_from_file(tmp_path: Path) -> None:
    path = tmp_path / "gw.toml"
    path.write_text(DEFAULT_CONFIG_TOML.replace("dev-pat-bob", "other-bob-token"))
    config = load_config(path)
    assert config.users["bob"].tokens == ["other-bob-token"]


@pytest.mark.parametrize(
    ("snippet", "needle"),
    [
        ("[servers.x]\nsample = 'knowledge'\nauth = { type = 'kerberos' }\n", "servers.x.auth"),
        ("[servers.x]\nsample = 'knowledge'\ncolour = 'red'\n", "servers.x.colour"),
        ("[servers.x]\ndisplay_name = 'X'\n", "servers.x"),
        ("[users.carol]\nemail = 'not-an-email'\n", "users.carol.email"),
        ("[gateway]\nmax_body_bytes = -1\n", "gateway.max_body_bytes"),
        ("[virtual_servers.v]\ntools = ['nope.tool']\n", "unknown server 'nope'"),
        ("[accounts.a]\ntoken = 'same-token-1'\n[accounts.b]\ntoken = 'same-token-1'\n", "twice"),
    ],
)
def test_bad_config_names_the_bad_key(snippet: str, needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(snippet, source="bad.toml")
    assert needle in str(info.value)
    assert "bad.toml" in str(info.value)


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_config("[[[")
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "missing.toml")


def test_virtual_server_tool_names_must_be_unique() -> None:
    text = (
        DEFAULT_CONFIG_TOML
        + "\n[virtual_servers.dup]\ntools = ['mail.mail_whoami', 'calendar.mail_whoami']\n"
    )
    with pytest.raises(ConfigError, match="twice"):
        parse_config(text)
