"""Neutral tool descriptions and results, shared by both adapters.

The MCP types are converted once, here, into small frozen dataclasses that name every
content kind the protocol has. Adapters map these to their framework's blocks and
never see ``mcp_types``; a kind we do not know is kept as text, never dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import mcp_types

__all__ = [
    "AudioBlock",
    "ContentBlock",
    "ImageBlock",
    "ResourceBlock",
    "ResourceLinkBlock",
    "TextBlock",
    "ToolInfo",
    "ToolResult",
    "to_content_block",
    "to_tool_info",
    "to_tool_result",
]


@dataclass(frozen=True)
class TextBlock:
    text: str
    kind: str = field(default="text", init=False)


@dataclass(frozen=True)
class ImageBlock:
    """An image; ``data`` is base64 as the protocol sends it."""

    data: str
    mime_type: str
    kind: str = field(default="image", init=False)


@dataclass(frozen=True)
class AudioBlock:
    """Audio; ``data`` is base64 as the protocol sends it."""

    data: str
    mime_type: str
    kind: str = field(default="audio", init=False)


@dataclass(frozen=True)
class ResourceBlock:
    """An embedded resource: ``text`` or base64 ``blob``, never both."""

    uri: str
    mime_type: str | None = None
    text: str | None = None
    blob: str | None = None
    kind: str = field(default="resource", init=False)


@dataclass(frozen=True)
class ResourceLinkBlock:
    """A link to a resource the client may read later."""

    uri: str
    name: str
    description: str | None = None
    mime_type: str | None = None
    kind: str = field(default="resource_link", init=False)


ContentBlock = TextBlock | ImageBlock | AudioBlock | ResourceBlock | ResourceLinkBlock


@dataclass(frozen=True)
class ToolInfo:
    """One tool as the gateway lists it for the calling identity."""

    server: str
    name: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None = None
    title: str | None = None
    annotations: dict[str, Any] | None = None


@dataclass(frozen=True)
class ToolResult:
    """The result of one tool call.

    ``is_error`` mirrors MCP ``isError``: the tool ran and reported failure.
    """

    content: tuple[ContentBlock, ...]
    structured_content: Any = None
    is_error: bool = False

    @property
    def text(self) -> str:
        """All text a model should read, joined; non-text blocks are described."""
        return "\n".join(_describe(block) for block in self.content)


def _describe(block: ContentBlock) -> str:
    if isinstance(block, TextBlock):
        return block.text
    if isinstance(block, ResourceBlock):
        return block.text if block.text is not None else f"[resource {block.uri}]"
    if isinstance(block, ResourceLinkBlock):
        return f"[{block.name}]({block.uri})"
    return f"[{block.kind}: {block.mime_type}]"


def to_content_block(block: Any) -> ContentBlock:
    """Convert one MCP content block; unknown kinds are kept as their JSON text."""
    if isinstance(block, mcp_types.TextContent):
        return TextBlock(block.text)
    if isinstance(block, mcp_types.ImageContent):
        return ImageBlock(block.data, block.mime_type)
    if isinstance(block, mcp_types.AudioContent):
        return AudioBlock(block.data, block.mime_type)
    if isinstance(block, mcp_types.ResourceLink):
        return ResourceLinkBlock(str(block.uri), block.name, block.description, block.mime_type)
    if isinstance(block, mcp_types.EmbeddedResource):
        res = block.resource
        if isinstance(res, mcp_types.TextResourceContents):
            return ResourceBlock(str(res.uri), res.mime_type, text=res.text)
        return ResourceBlock(str(res.uri), res.mime_type, blob=res.blob)
    dump = block.model_dump(mode="json") if hasattr(block, "model_dump") else block
    return TextBlock(json.dumps(dump, default=str))


def to_tool_result(result: mcp_types.CallToolResult) -> ToolResult:
    return ToolResult(
        content=tuple(to_content_block(b) for b in result.content),
        structured_content=result.structured_content,
        is_error=bool(result.is_error),
    )


def to_tool_info(server: str, tool: mcp_types.Tool) -> ToolInfo:
    annotations = tool.annotations.model_dump(exclude_none=True) if tool.annotations else None
    return ToolInfo(
        server=server,
        name=tool.name,
        description=tool.description or "",
        input_schema=dict(tool.input_schema or {"type": "object", "properties": {}}),
        output_schema=dict(tool.output_schema) if tool.output_schema else None,
        title=tool.title,
        annotations=annotations,
    )
