"""OAuth challenges pinned to the exact bytes real gateways send (measured in tests/interop)."""

from __future__ import annotations

from mcp_gateway_tools import _auth

BASE = "http://127.0.0.1:4000"


def test_litellm_bad_key_challenge_is_not_an_oauth_authorization_to_obtain() -> None:
    # LiteLLM 1.108.7, unknown/expired/revoked key on /mcp/echo: a rejected token.
    header = (
        f'Bearer error="invalid_token", '
        f'resource_metadata="{BASE}/.well-known/oauth-protected-resource/mcp/echo"'
    )
    assert _auth.from_oauth_challenge(header, server="echo") is None


def test_litellm_oauth_server_challenge_is_oauth_required() -> None:
    # LiteLLM 1.108.7, a valid key on an oauth2 authorization_code server.
    uri = f"{BASE}/.well-known/oauth-authorization-server/oauth_echo"
    error = _auth.from_oauth_challenge(f'Bearer authorization_uri="{uri}"', server="oauth_echo")
    assert error is not None
    assert error.authorization_uri == uri


def test_missing_token_challenge_with_metadata_is_oauth_required() -> None:
    # An MCP server (and LiteLLM with no key at all): no error code, the metadata URL.
    meta = f"{BASE}/.well-known/oauth-protected-resource/mcp/echo"
    error = _auth.from_oauth_challenge(f'Bearer resource_metadata="{meta}"', server="echo")
    assert error is not None
    assert error.resource_metadata_url == meta
