"""A gateway tool on its own: schema to the model, arguments, result shapes, errors."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from mcp_gateway_tools import ConfigurationError, Gateway, ToolInfo
from mcp_gateway_tools._toolset import ToolSpec
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.langchain import GatewayTool, GatewayToolkit
from mcp_gateway_tools.langchain.testing import tool_call
from tests.langchain.richserver import PNG
from tests.support.through import Through


async def rich_tools(gateway: Gateway) -> dict[str, BaseTool]:
    return {t.name: t for t in await GatewayToolkit(gateway, ["rich"]).aget_tools()}


async def call(tool: BaseTool, args: dict[str, Any] | None = None, **config: Any) -> ToolMessage:
    message = await tool.ainvoke(tool_call(tool.name, args), config or None)  # type: ignore[arg-type]
    assert isinstance(message, ToolMessage)
    return message


async def test_schema_reaches_the_model_unchanged(rich_gateway: Gateway) -> None:
    tools = await rich_tools(rich_gateway)
    listed = {t.name: t for t in await rich_gateway.list_tools("rich")}
    trip = tools["plan_trip"]
    assert isinstance(trip, GatewayTool)
    assert trip.args_schema == listed["plan_trip"].input_schema
    parameters = convert_to_openai_tool(trip)["function"]["parameters"]
    mcp_schema = dict(listed["plan_trip"].input_schema)
    assert parameters == mcp_schema  # nested objects, enum, anyOf, defaults, descriptions
    leg = parameters["properties"]["trip"]["properties"]["legs"]["items"]
    assert leg["properties"]["mode"] == {
        "enum": ["train", "plane"],
        "type": "string",
        "default": "train",
    }
    assert leg["properties"]["origin"]["description"] == "IATA code or city"
    assert parameters["properties"]["trip"]["properties"]["budget"]["anyOf"] == [
        {"type": "number"},
        {"type": "null"},
    ]


async def test_refs_are_kept_and_validated_in_full(rich_gateway: Gateway) -> None:
    tools = await rich_tools(rich_gateway)
    nodes = tools["count_nodes"]
    assert isinstance(nodes.args_schema, dict)
    assert "$defs" in nodes.args_schema  # the tool keeps the MCP schema as is
    # langchain-core's provider conversion inlines $ref; a recursive one is cut to {}
    # there, so the full schema is enforced by our validation before the call.
    good = await call(nodes, {"root": {"name": "a", "children": [{"name": "b"}]}})
    assert good.status == "success"
    assert good.artifact == {"structured_content": {"result": 2}}
    bad = await call(nodes, {"root": {"name": "a", "children": [{"title": "no name"}]}})
    assert bad.status == "error"
    assert "root/children/0" in bad.text
    assert "'name' is a required property" in bad.text


async def test_no_token_in_any_schema(
    dev: DevGateway, gateway: Gateway, alice: str, through: Through
) -> None:
    tools = await through.get_tools(
        GatewayToolkit(gateway, ["knowledge", "search", "workspace"]), token=alice
    )
    for tool in tools:
        schema = convert_to_openai_tool(tool)
        assert "token" not in str(schema["function"]["parameters"]).lower()
        assert alice not in str(schema)


async def test_invalid_arguments_are_an_error_the_model_can_fix(rich_gateway: Gateway) -> None:
    tools = await rich_tools(rich_gateway)
    message = await call(tools["plan_trip"], {"trip": {"traveller": "Ann", "legs": []}})
    assert message.status == "error"
    assert "Invalid arguments for tool 'plan_trip'" in message.text
    assert "trip/legs" in message.text
    message = await call(tools["plan_trip"], {"trip": {"traveller": "Ann", "legs": [{}]}, "x": 1})
    assert message.status == "error"
    assert "'origin' is a required property" in message.text
    assert "Additional properties are not allowed" in message.text


async def test_arguments_named_runtime_and_config_reach_the_server(rich_gateway: Gateway) -> None:
    tools = await rich_tools(rich_gateway)
    message = await call(tools["configure"], {"runtime": "py3", "config": {"a": 1, "b": 2}})
    assert message.status == "success"
    assert message.text == "runtime=py3 config=['a', 'b']"


async def test_result_shapes_match_langchain_mcp(rich_gateway: Gateway) -> None:
    tools = await rich_tools(rich_gateway)
    trip = {"traveller": "Ann", "legs": [{"origin": "BER", "destination": "PAR"}]}
    message = await call(tools["plan_trip"], {"trip": trip})
    assert message.status == "success"
    assert message.artifact == {
        "structured_content": {"legs": 1, "currency": "EUR", "traveller": "Ann"}
    }
    assert [b["type"] for b in message.content] == ["text"]  # type: ignore[index]

    media = await call(tools["media"])
    kinds = [(b["type"], b.get("mime_type")) for b in media.content]  # type: ignore[union-attr,index]
    assert kinds == [
        ("text", None),
        ("image", "image/png"),
        ("file", "audio/wav"),  # no audio block in a ToolMessage: a file block keeps it
        ("text", None),
        ("file", "application/pdf"),
        ("image", "image/png"),
    ]
    assert media.content[1]["base64"] == PNG  # type: ignore[index]
    assert media.content[5]["url"] == "https://example.com/a.png"  # type: ignore[index]
    # The link's name and the embedded resource's URI have no place in a LangChain
    # block: the artifact keeps them, one entry per content block, in order.
    assert media.artifact is not None
    assert media.artifact["structured_content"] is None
    metadata = media.artifact["content_metadata"]
    assert [m["type"] for m in metadata] == [
        "text",
        "image",
        "audio",
        "resource",
        "resource",
        "resource_link",
    ]
    assert metadata[4] == {
        "type": "resource",
        "uri": "file:///doc.pdf",
        "mime_type": "application/pdf",
        "resource": "blob",
    }
    assert metadata[5] == {
        "type": "resource_link",
        "uri": "https://example.com/a.png",
        "name": "a",
        "mime_type": "image/png",
    }


async def test_is_error_result_is_an_error_tool_message(rich_gateway: Gateway) -> None:
    tools = await rich_tools(rich_gateway)
    message = await call(tools["broken"], {"reason": "quota"})
    assert message.status == "error"
    assert message.text == "cannot do it: quota"


async def test_gateway_errors_become_error_messages(rich_gateway: Gateway) -> None:
    # A tool the server does not have: the server refuses the call (a ToolCallError).
    ghost = GatewayTool.from_spec(
        rich_gateway,
        ToolSpec(
            server="rich",
            mcp_name="no_such_tool",
            name="ghost",
            description="gone",
            input_schema={"type": "object", "properties": {}},
            info=ToolInfo("rich", "no_such_tool", "gone", {"type": "object"}),
        ),
    )
    message = await call(ghost)
    assert message.status == "error"
    assert "no_such_tool" in message.text
    assert message.artifact is None


async def test_tool_object_is_reusable_metadata_and_repr(rich_gateway: Gateway) -> None:
    tools = await rich_tools(rich_gateway)
    trip = tools["plan_trip"]
    assert trip.metadata == {"mcp": {"server": {"name": "rich"}, "tool": {"name": "plan_trip"}}}
    assert trip.response_format == "content_and_artifact"
    assert "rich-service-token" not in repr(trip)
    assert "rich-service-token" not in repr(GatewayToolkit(rich_gateway, ["rich"]))


def test_bad_policy_fails_at_construction(rich_gateway: Gateway) -> None:
    with pytest.raises(ConfigurationError, match="on_authorization_required"):
        GatewayToolkit(rich_gateway, ["rich"], on_authorization_required="ask")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="at_load"):
        GatewayToolkit(rich_gateway, ["rich"], on_authorization_required_at_load="skip")  # type: ignore[arg-type]


def test_full_server_url_is_accepted(rich_gateway: Gateway) -> None:
    toolkit = GatewayToolkit(rich_gateway, [f"{rich_gateway.base_url}/mcp/rich/server"])
    assert toolkit.servers == ["rich"]
    single = Gateway(f"{rich_gateway.base_url}/mcp/rich/server")
    assert GatewayToolkit(single).servers == ["rich"]  # the server of a full server URL
    assert GatewayToolkit(single, "rich").servers == ["rich"]
    single.close()
