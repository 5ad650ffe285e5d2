"""A plain MCP server (no gateway semantics) with the schema and content shapes that
matter to the adapter: nested models, $defs, enums, anyOf, defaults; every content
kind; isError; a slow tool for cancellation; arguments named like LangChain's own."""

from __future__ import annotations

import asyncio
import base64
from enum import StrEnum
from typing import Any

import mcp_types
from fastmcp import FastMCP
from fastmcp.exceptions import ToolError
from pydantic import BaseModel, Field

PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
    )
).decode()
WAV = base64.b64encode(b"RIFF$\x00\x00\x00WAVEfmt ").decode()


class Mode(StrEnum):
    train = "train"
    plane = "plane"


class Leg(BaseModel):
    origin: str = Field(description="IATA code or city")
    destination: str
    mode: Mode = Mode.train


class Trip(BaseModel):
    traveller: str
    legs: list[Leg] = Field(min_length=1)
    budget: float | None = None
    notes: dict[str, Any] = Field(default_factory=dict)


class Node(BaseModel):
    """A tree node: recursive, so the schema needs $defs and $ref."""

    name: str
    children: list[Node] = Field(default_factory=list)


def rich_server() -> FastMCP:
    mcp: FastMCP = FastMCP("rich")

    @mcp.tool
    def plan_trip(trip: Trip, currency: str = "EUR") -> dict[str, Any]:
        """Plan a trip (nested objects, enums, anyOf, defaults)."""
        return {"legs": len(trip.legs), "currency": currency, "traveller": trip.traveller}

    @mcp.tool
    def count_nodes(root: Node) -> int:
        """Count the nodes of a tree ($defs/$ref in the schema)."""

        def count(node: Node) -> int:
            return 1 + sum(count(c) for c in node.children)

        return count(root)

    @mcp.tool
    def configure(runtime: str, config: dict[str, Any]) -> str:
        """Arguments named like LangChain's injected parameters must still reach the server."""
        return f"runtime={runtime} config={sorted(config)}"

    @mcp.tool
    def media() -> list[Any]:
        """One block of every content kind."""
        return [
            mcp_types.TextContent(type="text", text="caption"),
            mcp_types.ImageContent(type="image", data=PNG, mime_type="image/png"),
            mcp_types.AudioContent(type="audio", data=WAV, mime_type="audio/wav"),
            mcp_types.EmbeddedResource(
                type="resource",
                resource=mcp_types.TextResourceContents(
                    uri="file:///notes.txt", mime_type="text/plain", text="embedded text"
                ),
            ),
            mcp_types.EmbeddedResource(
                type="resource",
                resource=mcp_types.BlobResourceContents(
                    uri="file:///doc.pdf", mime_type="application/pdf", blob=WAV
                ),
            ),
            mcp_types.ResourceLink(
                type="resource_link",
                uri="https://example.com/a.png",
                name="a",
                mime_type="image/png",
            ),
        ]

    @mcp.tool
    def broken(reason: str = "disk full") -> str:
        """Always reports failure (an MCP isError result)."""
        raise ToolError(f"cannot do it: {reason}")

    @mcp.tool
    async def slow(seconds: float) -> str:
        """Sleep, then answer."""
        await asyncio.sleep(seconds)
        return "done"

    return mcp
