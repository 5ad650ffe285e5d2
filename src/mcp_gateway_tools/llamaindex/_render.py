"""Turn core outcomes into LlamaIndex ``ToolOutput`` objects.

What the model reads is ``ToolOutput.blocks``: text blocks with the tool's own text and
image blocks with its images, never ``str(CallToolResult)`` or another Python repr (the
stock MCP spec's weakness). ``raw_output`` keeps what a program wants: the structured
content when the tool gave some, else the neutral :class:`~mcp_gateway_tools.ToolResult`
(whose blocks keep annotations, link names and resource URIs); the observation dict for
authorization and errors. ``is_error`` is kept as the tool reported it, which
``FunctionTool`` would lose.

An embedded blob reaches the model as what it is: text when its MIME type is textual
(decoded), an image, audio or document block otherwise, each after a line naming its
URI, type and size, so a model that reads only text still knows what came.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from llama_index.core.base.llms.types import AudioBlock as LIAudioBlock
from llama_index.core.base.llms.types import ContentBlock as LIContentBlock
from llama_index.core.base.llms.types import DocumentBlock as LIDocumentBlock
from llama_index.core.base.llms.types import ImageBlock as LIImageBlock
from llama_index.core.base.llms.types import TextBlock as LITextBlock
from llama_index.core.tools import ToolOutput

from .._content import (
    AudioBlock,
    ContentBlock,
    ImageBlock,
    ResourceBlock,
    ResourceLinkBlock,
    TextBlock,
    ToolResult,
)
from .._errors import AuthorizationRequired, GatewayError

__all__ = [
    "authorization_output",
    "declined_output",
    "error_output",
    "result_output",
    "to_blocks",
]


def _block(block: ContentBlock) -> LIContentBlock:
    if isinstance(block, TextBlock):
        return LITextBlock(text=block.text)
    if isinstance(block, ImageBlock):
        # base64 bytes: LlamaIndex recognises base64 and keeps it as is.
        return LIImageBlock(image=block.data.encode("ascii"), image_mimetype=block.mime_type)
    if isinstance(block, AudioBlock):
        fmt = block.mime_type.split("/", 1)[-1] or None
        return LIAudioBlock(audio=block.data.encode("ascii"), format=fmt)
    if isinstance(block, ResourceLinkBlock):
        about = f": {block.description}" if block.description else ""
        return LITextBlock(text=f"[{block.title or block.name}]({block.uri}){about}")
    return LITextBlock(text=str(getattr(block, "text", "")))  # pragma: no cover - exhaustive


# MIME types whose bytes are text a model can read, beyond text/*.
_TEXTUAL = ("json", "xml", "yaml", "csv", "javascript", "x-sh", "toml", "markdown")


def _resource_blocks(block: ResourceBlock) -> list[LIContentBlock]:
    """An embedded resource as blocks: its text, or its blob decoded into the block its
    MIME type calls for, after a line naming the URI (the model may cite or read it)."""
    mime = block.mime_type or "application/octet-stream"
    if block.text is not None:
        return [LITextBlock(text=f"[resource {block.uri} ({mime})]\n{block.text}")]
    try:
        raw = base64.b64decode(block.blob or "", validate=True)
    except (binascii.Error, ValueError):
        return [LITextBlock(text=f"[resource {block.uri} ({mime}): undecodable base64]")]
    header = f"[resource {block.uri} ({mime}, {len(raw)} bytes)]"
    major, _, minor = mime.partition("/")
    if major == "text" or any(t in minor for t in _TEXTUAL):
        text = raw.decode("utf-8", errors="replace")
        return [LITextBlock(text=f"{header}\n{text}")]
    data = (block.blob or "").encode("ascii")
    if major == "image":
        return [LITextBlock(text=header), LIImageBlock(image=data, image_mimetype=mime)]
    if major == "audio":
        return [LITextBlock(text=header), LIAudioBlock(audio=data, format=minor or None)]
    return [LITextBlock(text=header), LIDocumentBlock(data=data, document_mimetype=mime)]


def to_blocks(result: ToolResult) -> list[LIContentBlock]:
    """The model-visible blocks of a result; never empty, never a repr."""
    blocks: list[LIContentBlock] = []
    for b in result.content:
        if isinstance(b, ResourceBlock):
            blocks.extend(_resource_blocks(b))
        else:
            blocks.append(_block(b))
    if blocks and not any(isinstance(b, LITextBlock) for b in blocks):
        # Text-only readers (ReAct prompts, ToolOutput.content) still learn what came.
        blocks.insert(0, LITextBlock(text=result.text))
    if not blocks:
        if result.structured_content is not None:
            text = json.dumps(result.structured_content, ensure_ascii=False, default=str)
        else:
            text = "The tool returned no content."
        blocks = [LITextBlock(text=text)]
    return blocks


def result_output(tool_name: str, arguments: dict[str, Any], result: ToolResult) -> ToolOutput:
    raw = result.structured_content if result.structured_content is not None else result
    return ToolOutput(
        tool_name=tool_name,
        blocks=to_blocks(result),
        raw_input={"args": (), "kwargs": dict(arguments)},
        raw_output=raw,
        is_error=result.is_error,
    )


def authorization_output(
    tool_name: str, arguments: dict[str, Any], exc: AuthorizationRequired
) -> ToolOutput:
    """Text the model can relay (every display name and full link), and the observation."""
    return ToolOutput(
        tool_name=tool_name,
        content=exc.render_text(),
        raw_input={"args": (), "kwargs": dict(arguments)},
        raw_output=exc.to_observation(),
        is_error=False,
    )


def declined_output(tool_name: str, arguments: dict[str, Any], request_id: str) -> ToolOutput:
    return ToolOutput(
        tool_name=tool_name,
        content=(
            "The user declined to authorize access, so this tool did not run. "
            "Do not call it again unless the user asks."
        ),
        raw_input={"args": (), "kwargs": dict(arguments)},
        raw_output={"type": "authorization_declined", "request_id": request_id},
        is_error=True,
    )


def error_output(tool_name: str, arguments: dict[str, Any], exc: GatewayError) -> ToolOutput:
    return ToolOutput(
        tool_name=tool_name,
        content=f"Error: {exc.message}",
        raw_input={"args": (), "kwargs": dict(arguments)},
        raw_output=exc.to_observation(),
        is_error=True,
        exception=exc,
    )
