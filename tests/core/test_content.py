"""Results keep every content kind, structured content and isError."""

from __future__ import annotations

import mcp_types

from mcp_gateway_tools import (
    ContentAnnotations,
    Gateway,
    ImageBlock,
    ResourceBlock,
    ResourceLinkBlock,
    TextBlock,
)
from mcp_gateway_tools._content import block_metadata, to_content_block
from tests.support.faultgateway import PNG_1PX, FaultGateway
from tests.support.serving import ThreadedServer
from tests.support.through import Through


async def test_structured_content_and_images_survive_the_round_trip(
    fault_server: ThreadedServer, fault_gateway: FaultGateway, through: Through
) -> None:
    async with Gateway(fault_server.url, token="t-1") as gw:
        total = await through.call_tool(gw, "echo", "add", {"a": 2, "b": 40})
        picture = await through.call_tool(gw, "echo", "picture")
    assert total.structured_content == {"total": 42}
    assert picture.content == (ImageBlock(PNG_1PX, "image/png"),)
    assert picture.text == "[image: image/png]"


async def test_tool_listing_keeps_schema_description_and_output_schema(
    fault_server: ThreadedServer, fault_gateway: FaultGateway, through: Through
) -> None:
    async with Gateway(fault_server.url, token="t-1") as gw:
        tools = {t.name: t for t in await through.list_tools(gw, "echo")}
    add = tools["add"]
    assert add.description == "Add two integers."
    assert add.input_schema["required"] == ["a", "b"]
    assert add.output_schema is not None
    assert "total" in add.output_schema["properties"]


async def test_tool_listing_is_cached_per_identity(
    fault_server: ThreadedServer, fault_gateway: FaultGateway, through: Through
) -> None:
    async with Gateway(fault_server.url) as gw:
        await through.list_tools(gw, "echo", token="t-1")
        await through.list_tools(gw, "echo", token="t-1")
        await through.list_tools(gw, "echo", token="t-2")
    assert len(fault_gateway.calls("echo", "tools/list")) == 2


def test_every_mcp_content_kind_has_a_block() -> None:
    assert to_content_block(mcp_types.TextContent(type="text", text="hi")) == TextBlock("hi")
    res = mcp_types.EmbeddedResource(
        type="resource",
        resource=mcp_types.TextResourceContents(
            uri="file:///a.txt", mime_type="text/plain", text="A"
        ),
    )
    assert to_content_block(res) == ResourceBlock("file:///a.txt", "text/plain", text="A")
    link = mcp_types.ResourceLink(type="resource_link", uri="file:///b", name="b")
    assert to_content_block(link) == ResourceLinkBlock("file:///b", "b")
    audio = to_content_block(
        mcp_types.AudioContent(type="audio", data="AAA=", mime_type="audio/wav")
    )
    assert audio.kind == "audio"


def test_annotations_and_link_details_are_kept_on_every_kind() -> None:
    notes = mcp_types.Annotations(audience=["user"], priority=0.25, last_modified="2026-01-02")
    link = to_content_block(
        mcp_types.ResourceLink(
            type="resource_link",
            uri="demo://r/1",
            name="r1",
            title="Resource one",
            description="the first",
            mime_type="text/plain",
            size=12,
            annotations=notes,
        )
    )
    assert link == ResourceLinkBlock(
        "demo://r/1",
        "r1",
        "the first",
        "text/plain",
        title="Resource one",
        size=12,
        annotations=ContentAnnotations(("user",), 0.25, "2026-01-02"),
    )
    assert block_metadata(link) == {
        "type": "resource_link",
        "uri": "demo://r/1",
        "name": "r1",
        "title": "Resource one",
        "description": "the first",
        "mime_type": "text/plain",
        "size": 12,
        "annotations": {"audience": ["user"], "priority": 0.25, "last_modified": "2026-01-02"},
    }
    for mcp_block in (
        mcp_types.TextContent(type="text", text="t", annotations=notes),
        mcp_types.ImageContent(type="image", data="AA==", mime_type="image/png", annotations=notes),
        mcp_types.AudioContent(type="audio", data="AA==", mime_type="audio/wav", annotations=notes),
        mcp_types.EmbeddedResource(
            type="resource",
            resource=mcp_types.BlobResourceContents(uri="demo://b", blob="AA=="),
            annotations=notes,
        ),
    ):
        block = to_content_block(mcp_block)
        assert block.annotations == ContentAnnotations(("user",), 0.25, "2026-01-02"), block


def test_block_metadata_leaves_the_payload_to_the_frameworks_block() -> None:
    blob = ResourceBlock("demo://b", "application/gzip", blob="H4sI")
    assert block_metadata(blob) == {
        "type": "resource",
        "uri": "demo://b",
        "mime_type": "application/gzip",
        "resource": "blob",
    }
    assert block_metadata(TextBlock("long text")) == {"type": "text"}
