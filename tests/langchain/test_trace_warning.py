"""A plain-str token in config['configurable'] is reached by tracers: we say so, once."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from mcp_gateway_tools.langchain._binding import _warn_plain_configurable_token, resolve_token


def test_plain_configurable_token_warns_once_without_the_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    _warn_plain_configurable_token.cache_clear()
    caplog.set_level(logging.WARNING, logger="mcp_gateway_tools")
    resolved = resolve_token({"configurable": {"user_token": "sk-plain-secret"}})
    assert isinstance(resolved, SecretStr)  # the tool's frames hold no plain text
    assert resolved.get_secret_value() == "sk-plain-secret"
    resolve_token({"configurable": {"user_token": "sk-plain-secret"}})
    warnings = [r for r in caplog.records if "copies it into run metadata" in r.getMessage()]
    assert len(warnings) == 1
    assert "sk-plain-secret" not in warnings[0].getMessage()


def test_secret_str_configurable_token_does_not_warn(caplog: pytest.LogCaptureFixture) -> None:
    _warn_plain_configurable_token.cache_clear()
    caplog.set_level(logging.WARNING, logger="mcp_gateway_tools")
    token = SecretStr("sk-secret")
    assert resolve_token({"configurable": {"user_token": token}}) is token
    assert not caplog.records
