"""The reference server through ``GatewayToolSpec`` and a real ``FunctionAgent`` run.

What the model reads is recorded from the requests the agent sends it: a blob is its
decoded text or a typed block after a line naming its URI, never a bare placeholder.
"""

from __future__ import annotations

import pytest
import pytest_asyncio
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.base.llms.types import DocumentBlock, ImageBlock, TextBlock
from llama_index.core.tools import ToolOutput

from mcp_gateway_tools import ContentAnnotations, ResourceLinkBlock, ToolResult
from mcp_gateway_tools.llamaindex import GatewayToolSpec
from mcp_gateway_tools.llamaindex.testing import scripted_llm
from tests.everything.cases import CALLS, HELLO
from tests.everything.conftest import SERVER, gateway_for
from tests.everything.server import EverythingServer
from tests.everything.test_langchain import CONTENT_TOOLS
from tests.llamaindex.agents import Recorder

pytestmark = [pytest.mark.everything, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def run(everything: EverythingServer) -> tuple[dict[str, ToolOutput], Recorder]:
    """One agent run calling every content tool: outputs by tool, and what the model saw."""
    async with gateway_for(everything) as everything_gateway:
        tools = await GatewayToolSpec(everything_gateway, [SERVER]).to_tool_list_async()
        recorder = Recorder()
        llm = scripted_llm(*[[(name, CALLS[name])] for name in CONTENT_TOOLS], on_request=recorder)
        handler = FunctionAgent(tools=tools, llm=llm).run("use every tool")
        results = [ev async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)]
        await handler
    return {r.tool_name: r.tool_output for r in results}, recorder


async def test_every_content_tool_ran_in_the_agent(
    run: tuple[dict[str, ToolOutput], Recorder],
) -> None:
    outputs, _ = run
    assert set(outputs) == set(CONTENT_TOOLS)
    assert {name for name, out in outputs.items() if out.is_error} == {"simulate-research-query"}


async def test_a_text_blob_reaches_the_model_decoded_with_its_uri(
    run: tuple[dict[str, ToolOutput], Recorder],
) -> None:
    outputs, recorder = run
    reference = outputs["get-resource-reference"]
    assert "[resource demo://resource/dynamic/blob/1 (text/plain," in reference.content
    assert "Resource 1: This is a base64 blob" in reference.content
    assert "Resource 1: This is a base64 blob" in recorder.text()


async def test_a_binary_blob_is_a_document_block_after_a_line_naming_it(
    run: tuple[dict[str, ToolOutput], Recorder],
) -> None:
    outputs, recorder = run
    gz = outputs["gzip-file-as-resource"]
    header, document = gz.blocks
    assert isinstance(header, TextBlock)
    assert header.text.startswith("[resource demo://resource/session/hello.gz (application/gzip,")
    assert isinstance(document, DocumentBlock)
    assert document.document_mimetype == "application/gzip"
    assert "demo://resource/session/hello.gz" in recorder.text()
    assert isinstance(gz.raw_output, ToolResult)
    assert gz.raw_output.content[0].blob is not None
    assert HELLO not in gz.content.encode()  # compressed: a model is told what it is


async def test_resource_links_reach_the_model_with_name_description_and_uri(
    run: tuple[dict[str, ToolOutput], Recorder],
) -> None:
    outputs, recorder = run
    links = outputs["get-resource-links"]
    assert "[Text Resource 2](demo://resource/dynamic/text/2): Resource 2: plaintext resource" in (
        links.content
    )
    assert "[Text Resource 2](demo://resource/dynamic/text/2)" in recorder.text()
    raw = links.raw_output
    assert isinstance(raw, ToolResult)
    assert [b.name for b in raw.content if isinstance(b, ResourceLinkBlock)][:2] == [
        "Blob Resource 1",
        "Text Resource 2",
    ]


async def test_annotations_are_kept_in_raw_output(
    run: tuple[dict[str, ToolOutput], Recorder],
) -> None:
    outputs, _ = run
    annotated = outputs["get-annotated-message"]
    assert [type(b) for b in annotated.blocks] == [TextBlock, ImageBlock]
    raw = annotated.raw_output
    assert isinstance(raw, ToolResult)
    assert [b.annotations for b in raw.content] == [
        ContentAnnotations(audience=("user", "assistant"), priority=1.0),
        ContentAnnotations(audience=("user",), priority=0.5),
    ]


async def test_structured_content_is_raw_output(
    run: tuple[dict[str, ToolOutput], Recorder],
) -> None:
    outputs, _ = run
    weather = outputs["get-structured-content"]
    assert set(weather.raw_output) == {"temperature", "conditions", "humidity"}
