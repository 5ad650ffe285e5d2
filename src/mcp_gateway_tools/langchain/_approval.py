"""Approval with LangChain's own ``HumanInTheLoopMiddleware``, from MCP annotations.

>>> tools = await toolkit.aget_tools()
>>> agent = create_agent(model, tools, checkpointer=InMemorySaver(),
...                      middleware=[approval_middleware(tools, "destructive")])

:func:`interrupt_on` builds the middleware's ``interrupt_on=`` mapping with the same
rule (:data:`~mcp_gateway_tools._engine.ApprovalRule`) the toolkit's own
``approval=`` uses, so an app can use either and the same calls wait for a person.
Use one of the two, not both, or each such call is asked about twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.tools import BaseTool

from .._engine import ApprovalRule, needs_approval
from ._tool import GatewayTool

__all__ = ["approval_middleware", "interrupt_on"]


def interrupt_on(
    tools: Sequence[BaseTool],
    rule: ApprovalRule = "destructive",
    *,
    allowed_decisions: Sequence[str] = ("approve", "edit", "reject"),
) -> dict[str, Any]:
    """``{tool name: InterruptOnConfig}`` for every gateway tool ``rule`` selects.

    The rule is evaluated without arguments (the middleware decides per tool); a
    predicate gets an empty argument mapping. Tools that are not gateway tools, and
    ``authorize_<server>`` placeholders, are left out.
    """
    selected: dict[str, Any] = {}
    for tool in tools:
        if not isinstance(tool, GatewayTool) or tool.spec.info is None:
            continue
        if needs_approval(rule, tool.spec.info, tool.name, {}):
            selected[tool.name] = {
                "allowed_decisions": list(allowed_decisions),
                "description": f"The assistant wants to call {tool.name} on {tool.spec.server}.",
            }
    return selected


def approval_middleware(
    tools: Sequence[BaseTool], rule: ApprovalRule = "destructive", **kwargs: Any
) -> Any:
    """A ``HumanInTheLoopMiddleware`` gating the tools ``rule`` selects."""
    from langchain.agents.middleware import HumanInTheLoopMiddleware

    return HumanInTheLoopMiddleware(interrupt_on=interrupt_on(tools, rule), **kwargs)
