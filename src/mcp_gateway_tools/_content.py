"""Neutral tool descriptions and results, shared by both adapters.

The MCP types are converted once, here, into small frozen dataclasses that name every
content kind the protocol has. Adapters map these to their framework's blocks and
never see ``mcp_types``; a kind we do not know is kept as text, never dropped.

What a framework's blocks cannot hold (content annotations, a resource link's name,
title and description, an embedded resource's URI) stays on the neutral block, and
:func:`block_metadata` gives it to adapters for their artifacts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import mcp_types

__all__ = [
    "AudioBlock",
    "ContentAnnotations",
    "ContentBlock",
    "ImageBlock",
    "ResourceBlock",
    "ResourceLinkBlock",
    "TextBlock",
    "ToolInfo",
    "ToolResult",
    "block_metadata",
    "to_content_block",
    "to_tool_info",
    "to_tool_result",
]


@dataclass(frozen=True)
class ContentAnnotations:
    """MCP content annotations: who a block is for and how much it matters.

    ``audience`` holds ``"user"`` and/or ``"assistant"``; ``priority`` runs from 0
    (optional) to 1 (most important); ``last_modified`` is an ISO 8601 timestamp.
    Servers send them so a client can decide what to show whom; a client that drops
    them cannot.
    """

    audience: tuple[str, ...] | None = None
    priority: float | None = None
    last_modified: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The annotations that are set, JSON-ready (``audience`` as a list)."""
        out: dict[str, Any] = {}
        if self.audience is not None:
            out["audience"] = list(self.audience)
        if self.priority is not None:
            out["priority"] = self.priority
        if self.last_modified is not None:
            out["last_modified"] = self.last_modified
        return out


@dataclass(frozen=True)
class TextBlock:
    text: str
    annotations: ContentAnnotations | None = None
    kind: str = field(default="text", init=False)


@dataclass(frozen=True)
class ImageBlock:
    """An image; ``data`` is base64 as the protocol sends it."""

    data: str
    mime_type: str
    annotations: ContentAnnotations | None = None
    kind: str = field(default="image", init=False)


@dataclass(frozen=True)
class AudioBlock:
    """Audio; ``data`` is base64 as the protocol sends it."""

    data: str
    mime_type: str
    annotations: ContentAnnotations | None = None
    kind: str = field(default="audio", init=False)


@dataclass(frozen=True)
class ResourceBlock:
    """An embedded resource: ``text`` or base64 ``blob``, never both."""

    uri: str
    mime_type: str | None = None
    text: str | None = None
    blob: str | None = None
    annotations: ContentAnnotations | None = None
    kind: str = field(default="resource", init=False)


@dataclass(frozen=True)
class ResourceLinkBlock:
    """A link to a resource the client may read later (``size`` in bytes, if known)."""

    uri: str
    name: str
    description: str | None = None
    mime_type: str | None = None
    title: str | None = None
    size: int | None = None
    annotations: ContentAnnotations | None = None
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


def block_metadata(block: ContentBlock) -> dict[str, Any]:
    """What a block says besides its payload, for artifacts: its ``type`` and every field
    set except the text, base64 data or blob (which the framework's block carries)."""
    out: dict[str, Any] = {"type": block.kind}
    for name in ("uri", "name", "title", "description", "mime_type", "size"):
        value = getattr(block, name, None)
        if value is not None:
            out[name] = value
    if isinstance(block, ResourceBlock):
        out["resource"] = "text" if block.text is not None else "blob"
    if block.annotations is not None:
        out["annotations"] = block.annotations.to_dict()
    return out


def _annotations(block: Any) -> ContentAnnotations | None:
    raw = getattr(block, "annotations", None)
    if raw is None:
        return None
    audience = getattr(raw, "audience", None)
    priority = getattr(raw, "priority", None)
    modified = getattr(raw, "last_modified", None)
    if audience is None and priority is None and modified is None:
        return None
    return ContentAnnotations(
        audience=tuple(str(a) for a in audience) if audience is not None else None,
        priority=float(priority) if priority is not None else None,
        last_modified=str(modified) if modified is not None else None,
    )


def to_content_block(block: Any) -> ContentBlock:
    """Convert one MCP content block; unknown kinds are kept as their JSON text."""
    notes = _annotations(block)
    if isinstance(block, mcp_types.TextContent):
        return TextBlock(block.text, notes)
    if isinstance(block, mcp_types.ImageContent):
        return ImageBlock(block.data, block.mime_type, notes)
    if isinstance(block, mcp_types.AudioContent):
        return AudioBlock(block.data, block.mime_type, notes)
    if isinstance(block, mcp_types.ResourceLink):
        return ResourceLinkBlock(
            str(block.uri),
            block.name,
            block.description,
            block.mime_type,
            title=block.title,
            size=block.size,
            annotations=notes,
        )
    if isinstance(block, mcp_types.EmbeddedResource):
        res = block.resource
        if isinstance(res, mcp_types.TextResourceContents):
            return ResourceBlock(str(res.uri), res.mime_type, text=res.text, annotations=notes)
        return ResourceBlock(str(res.uri), res.mime_type, blob=res.blob, annotations=notes)
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
