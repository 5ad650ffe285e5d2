"""Schema fidelity: the MCP input schema reaches the model as the server wrote it.

Compared against the stock ``llama-index-tools-mcp`` spec on the very same server: it
rebuilds a pydantic model from the schema and loses the inline nested objects and
the enum definition; ours hands over the schema itself, to function-calling agents
(``get_parameters_dict``) and ReAct prompts (``fn_schema_str``) alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from llama_index.core.agent.workflow import FunctionAgent, ReActAgent
from llama_index.tools.mcp import BasicMCPClient, McpToolSpec

from mcp_gateway_tools import Gateway, InvalidArguments
from mcp_gateway_tools.llamaindex import GatewayTool, GatewayToolSpec
from mcp_gateway_tools.llamaindex.testing import scripted_llm
from tests.llamaindex.agents import Recorder, react_llm
from tests.llamaindex.servers import TICKET_SCHEMA
from tests.support.serving import ThreadedServer
from tests.support.through import Through

TICKET = {
    "title": "VPN down",
    "priority": "urgent",
    "reporter": {"name": "Ann", "contact": {"email": "ann@example.com", "phone": None}},
}


@pytest.fixture
async def tickets_tools(tickets: ThreadedServer) -> AsyncIterator[dict[str, GatewayTool]]:
    async with Gateway(tickets.url, token="unused-static-token") as gw:
        tools = await GatewayToolSpec(gw, ["tickets"]).to_tool_list_async()
        yield {t.metadata.name or "": t for t in tools}


async def _stock_parameters(url: str) -> dict[str, dict[str, Any]]:
    # Our own HTTP client, closed here: the stock client leaves its default one open.
    async with httpx2.AsyncClient() as http:
        client = BasicMCPClient(f"{url}/mcp/tickets/server", http_client=http)
        tools = await McpToolSpec(client).to_tool_list_async()
    return {t.metadata.name or "": t.metadata.get_parameters_dict() for t in tools}


def _nested(schema: dict[str, Any], *path: str) -> Any:
    node: Any = schema
    for key in path:
        node = node[key]
    return node


async def test_parameters_are_the_mcp_schema(tickets_tools: dict[str, GatewayTool]) -> None:
    params = tickets_tools["file_ticket"].metadata.get_parameters_dict()
    assert params == TICKET_SCHEMA
    # The shared spec cannot be changed through what a caller gets.
    params["properties"].clear()
    assert tickets_tools["file_ticket"].metadata.get_parameters_dict() == TICKET_SCHEMA
    assert json.loads(tickets_tools["file_ticket"].metadata.fn_schema_str) == TICKET_SCHEMA
    openai = tickets_tools["file_ticket"].metadata.to_openai_tool()
    assert openai["function"]["parameters"] == TICKET_SCHEMA
    # Integrations that read fn_schema directly see the same schema.
    fn_schema = tickets_tools["file_ticket"].metadata.fn_schema
    assert fn_schema is not None
    assert fn_schema.model_json_schema() == TICKET_SCHEMA


async def test_stock_spec_loses_what_ours_keeps(
    tickets: ThreadedServer, tickets_tools: dict[str, GatewayTool]
) -> None:
    stock = (await _stock_parameters(tickets.url))["file_ticket"]
    ours = tickets_tools["file_ticket"].metadata.get_parameters_dict()

    # Inline nested objects: the stock spec flattens `reporter` to an untyped object.
    reporter = _nested(ours, "properties", "reporter")
    assert _nested(reporter, "properties", "contact", "required") == ["email"]
    assert "properties" not in stock["properties"]["reporter"]
    # The enum definition: the stock spec turns it into an object with an "enum_field"
    # property, so a model following it sends {"enum_field": "urgent"}; ours keeps it.
    assert stock["$defs"]["Priority"]["type"] == "object"
    assert "enum" not in stock["$defs"]["Priority"]
    assert ours["$defs"]["Priority"]["enum"] == ["low", "normal", "high", "urgent"]
    # Descriptions, defaults and anyOf are all there.
    assert reporter["description"] == "Who reports the problem."
    assert ours["properties"]["priority"]["default"] == "normal"
    assert ours["properties"]["due"]["anyOf"][1] == {"type": "null"}
    assert ours["required"] == ["title", "reporter"]


async def test_pydantic_defs_and_refs_survive(tickets_tools: dict[str, GatewayTool]) -> None:
    params = tickets_tools["paint"].metadata.get_parameters_dict()
    assert params["properties"]["layers"]["items"] == {"$ref": "#/$defs/Layer"}
    assert params["$defs"]["Color"]["enum"] == ["red", "green"]
    assert params["$defs"]["Layer"]["properties"]["coats"]["maximum"] == 3
    assert "anyOf" in params["properties"]["finish"]


async def test_function_agent_gives_the_model_the_schema_and_calls_through(
    tickets_tools: dict[str, GatewayTool],
) -> None:
    rec = Recorder()
    llm = scripted_llm([("file_ticket", TICKET)], on_request=rec)
    agent = FunctionAgent(tools=list(tickets_tools.values()), llm=llm)
    result = await agent.run("File a ticket: the VPN is down.")
    shown = {t.metadata.name: t.metadata.get_parameters_dict() for t in rec.tools[0]}
    assert shown["file_ticket"] == TICKET_SCHEMA
    assert "ticket 'VPN down' (urgent) from Ann <ann@example.com>" in str(result)


async def test_react_agent_prompt_carries_the_schema(tickets_tools: dict[str, GatewayTool]) -> None:
    rec = Recorder()
    agent = ReActAgent(
        tools=list(tickets_tools.values()), llm=react_llm(("file_ticket", TICKET), recorder=rec)
    )
    result = await agent.run("File a ticket: the VPN is down.")
    system = str(rec.requests[0][0].content)
    shown = re.search(r"> Tool Name: file_ticket\n.*?\nTool Args: (\{.*\})\n", system, re.S)
    assert shown is not None
    assert json.loads(shown.group(1)) == TICKET_SCHEMA
    assert "ticket 'VPN down' (urgent)" in str(result)


async def test_arguments_are_checked_against_the_real_schema(
    tickets_tools: dict[str, GatewayTool], through: Through
) -> None:
    bad = {**TICKET, "priority": "whenever", "reporter": {"name": "Ann"}}
    out = await through.call(tickets_tools["file_ticket"], **bad)
    assert out.is_error
    assert isinstance(out.exception, InvalidArguments)
    assert "whenever" in out.content
    assert "contact" in out.content
    assert out.raw_output["error"] == "InvalidArguments"
