"""Results: what the model reads is the content; raw_output keeps the data; errors stay errors."""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.base.llms.types import ImageBlock, TextBlock

from mcp_gateway_tools import (
    Gateway,
    MissingUserToken,
    ToolResult,
    UnknownServer,
)
from mcp_gateway_tools.llamaindex import GatewayTool, GatewayToolSpec
from mcp_gateway_tools.llamaindex.testing import scripted_llm
from tests.llamaindex.agents import Recorder
from tests.support.through import Through


@pytest.fixture
async def kb(service_gateway: Gateway) -> dict[str, GatewayTool]:
    tools = await GatewayToolSpec(service_gateway, ["knowledge"]).to_tool_list_async()
    return {t.metadata.name or "": t for t in tools}


async def test_text_result(kb: dict[str, GatewayTool], through: Through) -> None:
    out = await through.call(kb["search_docs"], query="vpn")
    assert out.content == "kb-3: VPN setup"
    assert [type(b) for b in out.blocks] == [TextBlock]
    assert not out.is_error
    assert out.tool_name == "search_docs"
    assert out.raw_input == {"args": (), "kwargs": {"query": "vpn"}}
    assert out.raw_output == {"result": "kb-3: VPN setup"}  # fastmcp's structured wrapper


async def test_structured_result(kb: dict[str, GatewayTool], through: Through) -> None:
    out = await through.call(kb["get_article"], article_id="kb-2")
    assert out.raw_output["title"] == "Expense policy"
    assert json.loads(out.content)["title"] == "Expense policy"
    assert "ToolResult(" not in out.content


async def test_image_result_is_an_image_block(kb: dict[str, GatewayTool], through: Through) -> None:
    out = await through.call(kb["get_diagram"], article_id="kb-1")
    images = [b for b in out.blocks if isinstance(b, ImageBlock)]
    assert len(images) == 1
    assert images[0].image_mimetype == "image/png"
    assert isinstance(images[0].image, bytes)
    assert base64.b64decode(images[0].image).startswith(b"\x89PNG")
    # Text-only readers (ReAct) are told what came, not shown bytes.
    assert out.content == "[image: image/png]"


async def test_is_error_is_preserved(kb: dict[str, GatewayTool], through: Through) -> None:
    out = await through.call(kb["get_article"], article_id="kb-404")
    assert out.is_error
    assert "no article 'kb-404'" in out.content
    assert isinstance(out.raw_output, ToolResult)
    assert out.raw_output.is_error


async def test_function_agent_shows_the_model_blocks_and_error_status(
    kb: dict[str, GatewayTool],
) -> None:
    rec = Recorder()
    llm = scripted_llm(
        [("get_diagram", {"article_id": "kb-1"}), ("get_article", {"article_id": "nope"})],
        on_request=rec,
    )
    handler = FunctionAgent(tools=list(kb.values()), llm=llm).run("Show me")
    results = [ev async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)]
    await handler
    by_tool = {r.tool_name: r.tool_output for r in results}
    assert by_tool["get_article"].is_error
    assert not by_tool["get_diagram"].is_error
    tool_messages = rec.tool_messages()
    assert any(isinstance(b, ImageBlock) for m in tool_messages for b in m.blocks)
    assert any("no article 'nope'" in str(m.content) for m in tool_messages)


async def test_gateway_errors_become_error_outputs(
    service_gateway: Gateway, kb: dict[str, GatewayTool]
) -> None:
    # The same tool, pointed at a server the gateway does not have (HTTP 404).
    gone = dataclasses.replace(kb["search_docs"].spec, server="nosuch")
    out = await GatewayTool(service_gateway, gone).acall(query="x")
    assert out.is_error
    assert isinstance(out.exception, UnknownServer)
    assert out.raw_output == {
        "type": "error",
        "error": "UnknownServer",
        "message": out.exception.message,
    }
    assert out.content == f"Error: {out.exception.message}"


async def test_missing_token_propagates(gateway: Gateway, alice: str, through: Through) -> None:
    tools = await GatewayToolSpec(gateway, ["knowledge"]).to_tool_list_async(token=alice)
    with pytest.raises(MissingUserToken, match="user_token"):
        await through.call(tools[0], query="x")


async def test_missing_token_in_an_agent_is_an_error_result_with_the_exception(
    gateway: Gateway, alice: str
) -> None:
    tools = await GatewayToolSpec(gateway, ["knowledge"]).to_tool_list_async(token=alice)
    handler = FunctionAgent(tools=tools, llm=scripted_llm([("search_docs", {"query": "x"})])).run(
        "hi"
    )
    results = [ev async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)]
    await handler
    assert results[0].tool_output.is_error
    assert isinstance(results[0].tool_output.exception, MissingUserToken)


async def test_single_positional_argument(kb: dict[str, GatewayTool], through: Through) -> None:
    assert (await through.call(kb["search_docs"], "vpn")).content == "kb-3: VPN setup"
    assert (await through.call(kb["search_docs"], {"query": "vpn"})).content == "kb-3: VPN setup"
    with pytest.raises(TypeError):
        await through.call(kb["search_docs"], "a", "b")
