"""The public surface is explicit: everything in __all__ exists, nothing private leaks."""

from __future__ import annotations

import mcp_gateway_tools


def test_all_names_exist_and_are_public() -> None:
    for name in mcp_gateway_tools.__all__:
        assert hasattr(mcp_gateway_tools, name), name
        assert not name.startswith("_") or name == "__version__"


def test_the_contract_names_are_exported() -> None:
    for name in ("Gateway", "user_token", "AuthorizationRequired", "GatewayError", "ToolResult"):
        assert name in mcp_gateway_tools.__all__


def test_every_error_derives_from_gateway_error() -> None:
    errors = [getattr(mcp_gateway_tools, n) for n in mcp_gateway_tools.__all__]
    for obj in errors:
        if isinstance(obj, type) and issubclass(obj, Exception):
            if issubclass(obj, Warning):  # ToolLoadWarning is a warning category
                continue
            assert issubclass(obj, mcp_gateway_tools.GatewayError)


def test_the_core_imports_no_framework() -> None:
    import subprocess
    import sys

    code = (
        "import sys, mcp_gateway_tools; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('langchain', 'langchain_core', "
        "'langgraph', 'llama_index')]; print(bad); sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_a_gateway_without_oauth_loads_none_of_the_oauth_modules() -> None:
    import subprocess
    import sys

    code = (
        "import sys, mcp_gateway_tools; mcp_gateway_tools.Gateway('http://127.0.0.1:1'); "
        "bad = [m for m in sys.modules if m.startswith('mcp_gateway_tools.oauth')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_the_oauth_subpackage_exports_exactly_its_names() -> None:
    import types

    from mcp_gateway_tools import oauth

    public = {
        name
        for name, value in vars(oauth).items()
        if name[0].isalpha() and not isinstance(value, types.ModuleType)
    }
    assert sorted(oauth.__all__) == sorted(public)
    for name in ("OAuth", "OAuthClient", "callback_route", "callback_app", "app_user"):
        assert name in oauth.__all__


def test_the_oauth_errors_are_in_the_tree() -> None:
    from mcp_gateway_tools import _errors

    tree = _errors.__doc__ or ""
    parents = {
        "MissingAppUser": mcp_gateway_tools.MissingUserToken,
        "InsufficientScope": mcp_gateway_tools.AccessDenied,
        "AuthorizationDenied": mcp_gateway_tools.OAuthFlowError,
        "InvalidAuthorizationState": mcp_gateway_tools.OAuthFlowError,
        "TokenRequestFailed": mcp_gateway_tools.OAuthFlowError,
        "ResourceMismatch": mcp_gateway_tools.OAuthFlowError,
        "OAuthFlowError": mcp_gateway_tools.GatewayError,
    }
    for name, parent in parents.items():
        assert name in mcp_gateway_tools.__all__, name
        assert name in tree, name
        assert issubclass(getattr(mcp_gateway_tools, name), parent), name
