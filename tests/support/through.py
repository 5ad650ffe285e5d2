"""Sync or async: one behaviour, proven on both entry points without copying the test.

A test that takes the ``through`` fixture (tests/conftest.py) runs twice: once awaiting
the async entry point, once calling its sync twin from a worker thread, as a script or a
notebook cell would (``asyncio.to_thread`` carries ``user_token`` along, as threads of a
real app must be given it).
"""

from __future__ import annotations

import asyncio
from typing import Any

from mcp_gateway_tools import Gateway, ToolInfo, ToolResult


class Through:
    """Calls the core and both adapters through one path: ``"async"`` or ``"sync"``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.sync = path == "sync"

    def __repr__(self) -> str:
        return self.path

    async def call_tool(self, gw: Gateway, *args: Any, **kwargs: Any) -> ToolResult:
        """``Gateway.call_tool`` or ``Gateway.call_tool_sync``."""
        if self.sync:
            return await asyncio.to_thread(gw.call_tool_sync, *args, **kwargs)
        return await gw.call_tool(*args, **kwargs)

    async def list_tools(self, gw: Gateway, *args: Any, **kwargs: Any) -> list[ToolInfo]:
        """``Gateway.list_tools`` or ``Gateway.list_tools_sync``."""
        if self.sync:
            return await asyncio.to_thread(gw.list_tools_sync, *args, **kwargs)
        return await gw.list_tools(*args, **kwargs)

    async def invoke(self, runnable: Any, *args: Any, **kwargs: Any) -> Any:
        """A LangChain runnable (tool or agent): ``ainvoke`` or ``invoke``."""
        if self.sync:
            return await asyncio.to_thread(runnable.invoke, *args, **kwargs)
        return await runnable.ainvoke(*args, **kwargs)

    async def get_tools(self, toolkit: Any, **kwargs: Any) -> Any:
        """A LangChain ``GatewayToolkit``: ``aget_tools`` or ``get_tools``."""
        if self.sync:
            return await asyncio.to_thread(toolkit.get_tools, **kwargs)
        return await toolkit.aget_tools(**kwargs)

    async def to_tool_list(self, spec: Any, **kwargs: Any) -> Any:
        """A LlamaIndex ``GatewayToolSpec``: ``to_tool_list_async`` or ``to_tool_list``."""
        if self.sync:
            return await asyncio.to_thread(spec.to_tool_list, **kwargs)
        return await spec.to_tool_list_async(**kwargs)

    async def call(self, tool: Any, *args: Any, **kwargs: Any) -> Any:
        """A LlamaIndex tool: ``acall`` or ``call``."""
        if self.sync:
            return await asyncio.to_thread(tool.call, *args, **kwargs)
        return await tool.acall(*args, **kwargs)
