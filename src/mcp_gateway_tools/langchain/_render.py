"""Gateway outcomes in LangChain's terms, in the shapes ``langchain.mcp`` produces.

Matching ``langchain.mcp`` (langchain 1.5) lets a user swap it for this package without
touching the code that reads tool messages: content is a list of LangChain content
blocks, the artifact is ``{"structured_content": ...}`` (None when the tool returned
none), and an MCP ``isError`` result becomes a ``ToolMessage`` with ``status="error"``
carrying the server's own content.

Differences, each on purpose: audio becomes a file block (base64 and its audio MIME
type) instead of raising ``NotImplementedError``, since LangChain accepts no audio
block in a ToolMessage and a result is never dropped; the consent and error
observations this package adds have their own documented shapes; and what LangChain's
blocks cannot hold is kept in the artifact instead of lost. A resource link's name,
title and description, an embedded resource's URI, and content annotations (audience,
priority) have no place in a LangChain block, so when a result has any of them the
artifact also carries ``content_metadata``: one dict per block of
``ToolMessage.content``, in the same order (``type`` plus every field set but the
payload; see :func:`mcp_gateway_tools._content.block_metadata`). ``structured_content``
is always there (None when the tool gave none). A result with none of these keeps
``artifact=None`` or ``{"structured_content": ...}``, exactly as ``langchain.mcp``.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from langchain_core.messages.content import (
    FileContentBlock,
    ImageContentBlock,
    TextContentBlock,
    create_file_block,
    create_image_block,
    create_text_block,
)
from langchain_core.tools import ToolException

from .._content import (
    AudioBlock,
    ContentBlock,
    ImageBlock,
    ResourceBlock,
    ResourceLinkBlock,
    TextBlock,
    ToolResult,
    block_metadata,
)
from .._errors import GatewayError

__all__ = [
    "Artifact",
    "Content",
    "GatewayToolError",
    "ToolMessageBlock",
    "authorized_output",
    "error_message",
    "handle_gateway_tool_error",
    "note_output",
    "to_blocks",
    "to_output",
]

ToolMessageBlock: TypeAlias = TextContentBlock | ImageContentBlock | FileContentBlock
Content: TypeAlias = list[ToolMessageBlock]
Artifact: TypeAlias = dict[str, Any] | None


class GatewayToolError(ToolException):
    """A failure the model should see as a ``ToolMessage(status="error")``.

    Raised by the tool for an MCP ``isError`` result and for gateway errors the model
    can do something about (bad arguments, a server down, access denied). The tool's
    ``handle_tool_error`` turns it into the message content; any other exception
    keeps propagating, so programming errors are never disguised as tool output.
    """

    def __init__(self, content: Content) -> None:
        super().__init__(_summary(content))
        self.content = content

    @classmethod
    def from_gateway_error(cls, error: GatewayError) -> GatewayToolError:
        return cls([create_text_block(text=error.message)])


def handle_gateway_tool_error(error: ToolException) -> Content:
    """``handle_tool_error`` of every gateway tool: render ours, re-raise the rest."""
    if isinstance(error, GatewayToolError):
        if error.content:
            return error.content
        # An empty ToolMessage is a fragile shape for some providers.
        return [create_text_block(text=str(error))]
    raise error


def _summary(content: Content) -> str:
    texts = [block["text"] for block in content if block["type"] == "text"]
    if texts:
        return "\n".join(texts)
    if content:
        return f"The tool reported an error with no text ({len(content)} non-text block(s))."
    return "The tool reported an error with empty content."


def to_block(block: ContentBlock) -> ToolMessageBlock:
    """One neutral block as a LangChain content block (langchain.mcp's mapping)."""
    if isinstance(block, TextBlock):
        return create_text_block(text=block.text)
    if isinstance(block, ImageBlock):
        return create_image_block(base64=block.data, mime_type=block.mime_type)
    if isinstance(block, AudioBlock):
        # ToolMessage content has no audio block type (it would stringify the whole
        # message); a file block keeps the data and its MIME type.
        return create_file_block(base64=block.data, mime_type=block.mime_type)
    if isinstance(block, ResourceLinkBlock):
        mime = block.mime_type or None
        if mime and mime.startswith("image/"):
            return create_image_block(url=block.uri, mime_type=mime)
        return create_file_block(url=block.uri, mime_type=mime)
    if isinstance(block, ResourceBlock):
        if block.text is not None:
            return create_text_block(text=block.text)
        mime = block.mime_type or None
        if mime and mime.startswith("image/"):
            return create_image_block(base64=block.blob or "", mime_type=mime)
        return create_file_block(base64=block.blob or "", mime_type=mime)
    raise TypeError(f"unknown content block {type(block).__name__}")  # pragma: no cover


def to_blocks(result: ToolResult) -> Content:
    return [to_block(block) for block in result.content]


def to_output(result: ToolResult) -> tuple[Content, Artifact]:
    """A tool result as ``(content, artifact)``; an ``isError`` result raises.

    Raising :class:`GatewayToolError` (rather than returning) is what makes LangChain
    set ``status="error"`` on the ToolMessage, exactly as langchain.mcp does.
    """
    content = to_blocks(result)
    if result.is_error:
        raise GatewayToolError(content)
    artifact: Artifact = None
    if result.structured_content is not None:
        artifact = {"structured_content": result.structured_content}
    if any(_carries_metadata(block) for block in result.content):
        artifact = {
            "structured_content": result.structured_content,
            "content_metadata": [block_metadata(block) for block in result.content],
        }
    return content, artifact


def _carries_metadata(block: ContentBlock) -> bool:
    """The block holds something its LangChain block cannot: it goes in the artifact."""
    return block.annotations is not None or isinstance(block, ResourceBlock | ResourceLinkBlock)


def note_output(
    output: tuple[Content, Artifact], notes: tuple[str, ...], declined: tuple[dict[str, Any], ...]
) -> tuple[Content, Artifact]:
    """A result with the engine's notes first (what was declined for want of a user).

    The declined requests also go in the artifact, under ``"declined_input"``;
    ``content_metadata``, when present, gets one entry per note so it stays aligned
    with the content blocks.
    """
    if not notes:
        return output
    content, artifact = output
    blocks: Content = [create_text_block(text=note) for note in notes]
    noted: dict[str, Any] = {**(artifact or {}), "declined_input": list(declined)}
    if "content_metadata" in noted:
        noted["content_metadata"] = [{"type": "text"} for _ in notes] + list(
            noted["content_metadata"]
        )
    return blocks + list(content), noted


def error_message(error: GatewayError) -> Content:
    """What the model reads for a gateway error (the artifact holds the typed error)."""
    return [create_text_block(text=error.message)]


def authorized_output(server: str, display: str) -> tuple[str, dict[str, Any]]:
    """What an ``authorize_<server>`` tool says once the user has consented."""
    text = (
        f"The user has authorized {display}. Its tools are offered from the next model "
        "call on (with GatewayToolsMiddleware; a fixed tool list gets them when it is "
        "reloaded); tell the user it is connected."
    )
    return text, {"type": "authorized", "server": server, "server_name": display}
