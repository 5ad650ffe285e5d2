"""``GatewayToolRetriever``: a spec's tools chosen per run step, for the running user.

LlamaIndex agents ask their ``tool_retriever`` for tools at every step (before the
model is called, and again to find the tool it called), from inside the workflow
step. That is the per-request hook LangChain's middleware is on the other side: the
retriever reads the step's Context for the user's token (the ``"user_token"`` key,
else ``user_token()``, else the service token) and returns what the spec offers that
identity now (:class:`~mcp_gateway_tools._catalog.ToolCatalog`): no user is needed at
start-up, and an ``authorize_<server>`` placeholder gives way to the real tools in a
running process as soon as any identity can list that server::

    agent = FunctionAgent(tool_retriever=spec.as_retriever(), llm=llm)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llama_index.core.objects.base import ObjectRetriever
from llama_index.core.tools import BaseTool

from .._sync import run_sync
from . import _context

if TYPE_CHECKING:
    from ._spec import GatewayToolSpec

__all__ = ["GatewayToolRetriever"]


class GatewayToolRetriever(ObjectRetriever[BaseTool]):
    """The tools of a :class:`GatewayToolSpec` for the identity of the running step.

    The query text is ignored: every tool the gateway offers the user is returned (a
    gateway's servers are the application's choice, not a search result).
    """

    def __init__(self, spec: GatewayToolSpec) -> None:
        # ObjectRetriever's own state (an index retriever and node mapping) is not
        # used: tools come from the gateway, per identity.
        self.spec = spec

    def __repr__(self) -> str:
        return f"GatewayToolRetriever({self.spec!r})"

    async def aretrieve(self, str_or_query_bundle: Any = "") -> list[BaseTool]:
        token = await _context.context_token(_context.step_context())
        tools: list[BaseTool] = list(await self.spec.to_tool_list_async(token=token))
        # The agent's tool-call step asks with the called tool's name: a tool the model
        # was offered earlier (an authorize_<server> before the real tools came, maybe
        # in another process before a resume) must still be found.
        name = str_or_query_bundle if isinstance(str_or_query_bundle, str) else ""
        if name and all(t.metadata.name != name for t in tools):
            found = await self.spec.afind_tool(token, name)
            if found is not None:
                tools.append(found)
        return tools

    def retrieve(self, str_or_query_bundle: Any = "") -> list[BaseTool]:
        return run_sync(self.aretrieve(str_or_query_bundle))
