"""Where a LangChain tool call finds the end user's token.

DESIGN §4's order, LangChain part: the run's context (``create_agent(...,
context_schema=...)`` then ``agent.invoke(..., context=...)``; read as
``runtime.context.user_token``, an attribute or a mapping key), then
``config["configurable"]["user_token"]``, then — for agents served by LangGraph's own
server with custom auth (``langgraph_sdk.Auth``) — the token the auth handler
remembered for the run's authenticated user (``runtime.server_info.user.identity``,
see :func:`mcp_gateway_tools.remember_user_token`; the server stores the user object
with each run, so the token never rides on it). When none is set the core falls back
to ``user_token()`` and then to the Gateway's service token.

The runtime is read with ``langgraph.runtime.get_runtime()`` (LangGraph puts it in
the config of every node's run), not injected as a ``runtime: ToolRuntime`` parameter.
The context is the same object ``ToolRuntime.context`` would hold, but nothing is
added to the tool's arguments: an MCP tool with an argument called ``runtime`` or
``config`` keeps it, and no context object travels through callback inputs.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime, get_runtime
from pydantic import SecretStr

from .._app_user import APP_USER_KEY
from .._errors import ConfigurationError
from .._remembered import recall_user_token
from .._tokens import TokenInput

__all__ = ["TOKEN_KEY", "app_user_of", "graph_runtime", "resolve_app_user", "resolve_token"]

logger = logging.getLogger("mcp_gateway_tools.langchain")

TOKEN_KEY = "user_token"


def graph_runtime() -> Runtime[Any] | None:
    """The LangGraph runtime of the current run (None outside a graph).

    Read from the run's config context, which LangChain sets around every tool call
    and which is the config the tool's ``ensure_config()`` returns.
    """
    try:
        runtime = get_runtime()
    except RuntimeError:  # not inside any runnable
        return None
    return runtime if isinstance(runtime, Runtime) else None


def _token_value(value: object) -> TokenInput | None:
    """None means "not set here"; anything else is this request's token.

    A blank string is passed on (the core rejects it with MissingUserToken) rather than
    treated as absent: falling back to another identity, such as the service token,
    for a request whose user token is empty would fail open.
    """
    if value is None or isinstance(value, str | SecretStr) or callable(value):
        return value  # a callable is a token provider: the core asks it per call
    raise ConfigurationError(
        f"user_token must be a str or pydantic.SecretStr (or a callable returning one), "
        f"not {type(value).__name__}."
    )


def _from_context(context: object) -> TokenInput | None:
    if context is None:
        return None
    if isinstance(context, Mapping):
        return _token_value(context.get(TOKEN_KEY))
    return _token_value(getattr(context, TOKEN_KEY, None))


def _from_server_user(runtime: Runtime[Any]) -> SecretStr | None:
    """The token remembered for the user LangGraph's server authenticated for this run."""
    user = getattr(getattr(runtime, "server_info", None), "user", None)
    identity = getattr(user, "identity", None) if user is not None else None
    return recall_user_token(identity) if isinstance(identity, str) and identity else None


def resolve_token(config: RunnableConfig) -> TokenInput | None:
    """The per-request token of this run, or None to let the core fall back.

    A value of another type is a ConfigurationError: a token is never made up from
    ``str(obj)``, and a mistake never silently becomes another identity. A plain
    ``str`` comes back as a SecretStr, so the tool's own frames never hold it as text;
    the caller's and LangChain's frames still do (they hold ``config`` and the run
    context), which only the caller can change (docs/reliability.md §7).
    """
    runtime = graph_runtime()
    token = _from_context(runtime.context) if runtime is not None else None
    if token is None:
        configurable = config.get("configurable") or {}
        token = _token_value(configurable.get(TOKEN_KEY))
        if isinstance(token, str):
            _warn_plain_configurable_token()
    if token is None and runtime is not None:
        token = _from_server_user(runtime)
    return SecretStr(token) if isinstance(token, str) else token


@functools.cache
def _warn_plain_configurable_token() -> None:
    """Say once per process that a plain-str configurable token reaches trace metadata.

    langchain-core copies str values of ``configurable`` into run metadata, which
    tracers (LangSmith) record, and LangChain's frames hold it, which error trackers
    that record frame locals store when a tool raises; a SecretStr is neither.
    """
    logger.warning(
        "config['configurable']['user_token'] is a plain str: langchain-core copies it into "
        "run metadata that tracers record, and LangChain's frames hold it (error trackers "
        "that record frame locals store it when an exception passes them). Pass "
        "pydantic.SecretStr(token), or use user_token(token) around the run."
    )


def app_user_of(context: object) -> object:
    """The ``app_user`` of a run context (attribute or key), or None."""
    if context is None:
        return None
    if isinstance(context, Mapping):
        return context.get(APP_USER_KEY)
    return getattr(context, APP_USER_KEY, None)


def resolve_app_user(config: RunnableConfig) -> object:
    """The app user id of this run (for servers whose OAuth the app runs), or None.

    Read like the token: ``runtime.context.app_user`` (attribute or key), then
    ``config["configurable"]["app_user"]``; the core checks the value.
    """
    runtime = graph_runtime()
    found = app_user_of(runtime.context if runtime is not None else None)
    if found is not None:
        return found
    return (config.get("configurable") or {}).get(APP_USER_KEY)
