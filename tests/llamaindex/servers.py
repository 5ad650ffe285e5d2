"""A plain MCP server whose tool schemas carry what models need and converters drop.

Served directly (no gateway auth) at ``/mcp/tickets/server``, so a ``Gateway`` with a
service token and the stock ``llama-index-tools-mcp`` client both read the very same
``tools/list``. ``$defs`` are kept (``dereference_schemas=False``), as many non-fastmcp
servers send them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastmcp import FastMCP
from fastmcp.tools.base import Tool, ToolResult
from mcp_types import TextContent
from pydantic import BaseModel, Field

# An inline nested object, $defs/$ref, an enum definition, anyOf, defaults,
# descriptions and required, in one hand-written schema (as many real servers have).
TICKET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "description": "Short title of the ticket."},
        "priority": {"$ref": "#/$defs/Priority", "default": "normal"},
        "reporter": {
            "type": "object",
            "description": "Who reports the problem.",
            "properties": {
                "name": {"type": "string", "description": "Full name."},
                "contact": {
                    "type": "object",
                    "properties": {
                        "email": {"type": "string", "description": "Where to answer."},
                        "phone": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                    },
                    "required": ["email"],
                },
            },
            "required": ["name", "contact"],
        },
        "labels": {"type": "array", "items": {"type": "string"}, "default": []},
        "due": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]},
    },
    "required": ["title", "reporter"],
    "$defs": {
        "Priority": {
            "type": "string",
            "enum": ["low", "normal", "high", "urgent"],
            "description": "How soon it needs attention.",
        }
    },
}


class TicketTool(Tool):
    """A tool declared with a hand-written JSON schema."""

    async def run(self, arguments: dict[str, Any]) -> ToolResult:
        reporter = arguments["reporter"]
        text = (
            f"ticket '{arguments['title']}' ({arguments.get('priority', 'normal')}) "
            f"from {reporter['name']} <{reporter['contact']['email']}>"
        )
        return ToolResult(
            content=[TextContent(type="text", text=text)],
            structured_content={"id": 42, "title": arguments["title"]},
        )


class Color(StrEnum):
    red = "red"
    green = "green"


class Layer(BaseModel):
    color: Color = Field(description="Paint color.")
    coats: int = Field(default=1, ge=1, le=3)


def tickets_server() -> FastMCP:
    mcp = FastMCP("tickets", dereference_schemas=False)

    @mcp.tool
    def paint(
        layers: Annotated[list[Layer], Field(description="Layers, bottom first.")],
        finish: Color | None = None,
    ) -> str:
        """Paint in layers (a pydantic-generated schema with $defs)."""
        return ", ".join(f"{layer.coats}x {layer.color.value}" for layer in layers)

    mcp.add_tool(
        TicketTool(
            name="file_ticket", description="File a support ticket.", parameters=TICKET_SCHEMA
        )
    )
    return mcp


def tickets_app() -> Any:
    return tickets_server().http_app(path="/mcp/tickets/server")
