"""Retrying the gateway's "try again later" with LangChain's own ``ToolRetryMiddleware``.

>>> from langchain.agents.middleware import ToolRetryMiddleware
>>> toolkit = GatewayToolkit(gateway, servers=[...], retryable_errors="raise")
>>> agent = create_agent(model, tools, middleware=[ToolRetryMiddleware(retry_on=retry_on)])

:func:`retry_on` is true for :class:`~mcp_gateway_tools.RateLimited` (429) and
:class:`~mcp_gateway_tools.GatewayUnavailable` (5xx, refused, timeout), the failures a
later attempt can fix. By default a gateway tool turns those into an error ToolMessage
(the model sees them; the typed error is the artifact); with
``retryable_errors="raise"`` they propagate, so the middleware can retry them and, once
retries are exhausted, render its own error message.
"""

from __future__ import annotations

from .._errors import GatewayUnavailable, RateLimited

__all__ = ["is_retryable", "retry_on"]


def is_retryable(error: BaseException) -> bool:
    """True for the gateway failures a later attempt can fix (429, 5xx, unreachable)."""
    cause = getattr(error, "error", None)  # a wrapper carrying the gateway error
    return isinstance(error, RateLimited | GatewayUnavailable) or isinstance(
        cause, RateLimited | GatewayUnavailable
    )


retry_on = is_retryable
"""The ``retry_on=`` predicate for ``ToolRetryMiddleware``."""
