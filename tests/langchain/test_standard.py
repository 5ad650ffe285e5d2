"""langchain-tests' standard suites for a gateway tool, with no test overridden.

The tool is ``plan_trip`` of the plain fastmcp server, reached with a static token:
it returns structured content, so its artifact is never None (the integration suite
requires that of ``content_and_artifact`` tools). A tool without structured content
returns ``artifact=None``, exactly as ``langchain.mcp`` does; that is why this tool was
picked rather than a test being overridden.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.tools import BaseTool
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.langchain import GatewayToolkit

EXAMPLE = {
    "trip": {
        "traveller": "Ann",
        "legs": [{"origin": "BER", "destination": "PAR", "mode": "train"}],
        "budget": 300.0,
    },
    "currency": "EUR",
}


class _GatewayToolTests:
    """Supplies the tool: built per test on that test's Gateway (closed afterwards)."""

    _tool: BaseTool

    @pytest.fixture(autouse=True)
    async def _gateway_tool(self, rich_gateway: Gateway) -> None:
        toolkit = GatewayToolkit(rich_gateway, ["rich"], tool_filter=["plan_trip"])
        [type(self)._tool] = await toolkit.aget_tools()

    @property
    def tool_constructor(self) -> BaseTool:
        return self._tool

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return EXAMPLE


class TestGatewayToolUnit(_GatewayToolTests, ToolsUnitTests):
    pass


class TestGatewayToolIntegration(_GatewayToolTests, ToolsIntegrationTests):
    pass
