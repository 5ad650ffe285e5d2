"""The reference server through ``GatewayToolkit`` and a real ``create_agent`` run.

Content reaches the model in ``langchain.mcp``'s block shapes; what those blocks cannot
hold (link names and descriptions, embedded URIs, annotations) is in the artifact's
``content_metadata``, one entry per content block.
"""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage, ToolMessage

from mcp_gateway_tools.langchain import GatewayToolkit
from mcp_gateway_tools.langchain.testing import ScriptedChatModel, call_then_answer
from tests.everything.cases import CALLS
from tests.everything.conftest import SERVER, gateway_for
from tests.everything.server import EverythingServer

pytestmark = [pytest.mark.everything, pytest.mark.asyncio(loop_scope="module")]

CONTENT_TOOLS = (
    "echo",
    "get-env",
    "toggle-subscriber-updates",
    "get-annotated-message",
    "get-resource-links",
    "get-resource-reference",
    "get-structured-content",
    "get-sum",
    "get-tiny-image",
    "gzip-file-as-resource",
    "trigger-long-running-operation",
    "simulate-research-query",
)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def messages(everything: EverythingServer) -> dict[str, ToolMessage]:
    """One agent run calling every content tool; its tool messages by tool name."""
    async with gateway_for(everything) as everything_gateway:
        tools = await GatewayToolkit(everything_gateway, [SERVER]).aget_tools()
        model = ScriptedChatModel(
            plan=call_then_answer(*[(name, CALLS[name]) for name in CONTENT_TOOLS]),
            disable_streaming=True,
        )
        agent = create_agent(model, tools)
        state = await agent.ainvoke({"messages": [HumanMessage("use every tool")]})
    return {m.name or "": m for m in state["messages"] if isinstance(m, ToolMessage)}


def blocks(message: ToolMessage) -> list[dict[str, Any]]:
    assert isinstance(message.content, list)
    return [b for b in message.content if isinstance(b, dict)]


async def test_every_content_tool_ran_in_the_agent(messages: dict[str, ToolMessage]) -> None:
    assert set(messages) == set(CONTENT_TOOLS)
    failed = {name for name, m in messages.items() if m.status == "error"}
    assert failed == {"simulate-research-query"}  # needs MCP tasks, which it says
    assert "task" in messages["simulate-research-query"].text


async def test_plain_text_keeps_langchain_mcp_shape(messages: dict[str, ToolMessage]) -> None:
    assert "PORT" in messages["get-env"].text  # the server's own (minimal) environment
    assert "Started simulated resource updated" in messages["toggle-subscriber-updates"].text
    echo = messages["echo"]
    assert [b["type"] for b in blocks(echo)] == ["text"]
    assert echo.artifact is None  # as langchain.mcp: nothing beyond the blocks
    weather = messages["get-structured-content"]
    assert set(weather.artifact["structured_content"]) == {"temperature", "conditions", "humidity"}
    assert "content_metadata" not in weather.artifact


async def test_resource_links_keep_name_description_and_uri(
    messages: dict[str, ToolMessage],
) -> None:
    message = messages["get-resource-links"]
    files = [b for b in blocks(message) if b["type"] == "file"]
    assert [f["url"] for f in files][:2] == [
        "demo://resource/dynamic/blob/1",
        "demo://resource/dynamic/text/2",
    ]
    links = [m for m in message.artifact["content_metadata"] if m["type"] == "resource_link"]
    assert len(links) == 4
    assert links[1] == {
        "type": "resource_link",
        "uri": "demo://resource/dynamic/text/2",
        "name": "Text Resource 2",
        "description": "Resource 2: plaintext resource",
        "mime_type": "text/plain",
    }


async def test_embedded_resources_keep_their_uri(messages: dict[str, ToolMessage]) -> None:
    reference = messages["get-resource-reference"]
    kinds = [b["type"] for b in blocks(reference)]
    assert kinds == ["text", "file", "text"]
    embedded = reference.artifact["content_metadata"][1]
    assert embedded == {
        "type": "resource",
        "uri": "demo://resource/dynamic/blob/1",
        "mime_type": "text/plain",
        "resource": "blob",
    }
    gz = messages["gzip-file-as-resource"]
    (file_block,) = blocks(gz)
    assert file_block["mime_type"] == "application/gzip"
    assert file_block["base64"]
    assert gz.artifact["content_metadata"][0]["uri"] == "demo://resource/session/hello.gz"


async def test_content_annotations_are_in_the_artifact(messages: dict[str, ToolMessage]) -> None:
    message = messages["get-annotated-message"]
    assert [b["type"] for b in blocks(message)] == ["text", "image"]
    text, image = message.artifact["content_metadata"]
    assert text["annotations"] == {"audience": ["user", "assistant"], "priority": 1.0}
    assert image["annotations"] == {"audience": ["user"], "priority": 0.5}


async def test_images_are_image_blocks(messages: dict[str, ToolMessage]) -> None:
    image = [b for b in blocks(messages["get-tiny-image"]) if b["type"] == "image"]
    assert len(image) == 1
    assert image[0]["mime_type"] == "image/png"
    assert image[0]["base64"].startswith("iVBOR")
