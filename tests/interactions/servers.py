"""A real fastmcp server that needs its user: forms, links, annotations, progress, logs.

Served on 127.0.0.1 at ``/mcp/desk/server`` so a :class:`~mcp_gateway_tools.Gateway`
reaches it as server ``desk``. Every tool records what its client answered, so tests
can assert what reached the server, not only what the model saw.
"""

from __future__ import annotations

import uuid
import warnings
from dataclasses import dataclass, field
from typing import Any

from fastmcp import Context, FastMCP
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field


class Seat(BaseModel):
    seat: str = Field(default="aisle", description="Where to sit")
    meal: bool = Field(default=True, description="Serve a meal")
    name: str = Field(description="Passenger name")


@dataclass
class Ledger:
    """What reached the server: each elicitation answer and each tool that ran."""

    answers: list[dict[str, Any]] = field(default_factory=list)
    ran: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.answers.clear()
        self.ran.clear()
        self.links.clear()


def desk_server(ledger: Ledger, base_url: str = "https://desk.example.com") -> FastMCP:
    mcp = FastMCP("desk")

    @mcp.tool(annotations=ToolAnnotations(readOnlyHint=True))
    def read_booking(ref: str) -> str:
        """Read one booking."""
        ledger.ran.append(("read_booking", {"ref": ref}))
        return f"booking {ref}: confirmed"

    @mcp.tool(annotations=ToolAnnotations(destructiveHint=True, readOnlyHint=False))
    def cancel_booking(ref: str) -> str:
        """Cancel a booking (destructive)."""
        ledger.ran.append(("cancel_booking", {"ref": ref}))
        return f"booking {ref} cancelled"

    @mcp.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False))
    async def book_seat(flight: str, ctx: Context) -> str:
        """Book a seat: asks the passenger where to sit (form elicitation)."""
        outcome = await ctx.elicit(f"Seat preferences for flight {flight}?", Seat)
        ledger.answers.append({"action": outcome.action, **_data(outcome)})
        ledger.ran.append(("book_seat", {"flight": flight}))
        if outcome.action == "accept":
            data = outcome.data
            return f"booked {flight}: {data.seat} seat for {data.name}, meal={data.meal}"
        return f"not booked: the passenger chose {outcome.action}"

    @mcp.tool(annotations=ToolAnnotations(openWorldHint=True))
    async def link_account(ctx: Context) -> str:
        """Link a payment account: sends the user to a page (URL elicitation)."""
        link = f"{base_url}/link/{uuid.uuid4().hex[:8]}"
        ledger.links.append(link)
        result = await ctx.session.elicit_url(
            message="Open the page to link your payment account.",
            url=link,
            elicitation_id=uuid.uuid4().hex,
        )
        ledger.answers.append({"action": result.action})
        ledger.ran.append(("link_account", {}))
        if result.action == "accept":
            return "account linked"
        return f"not linked: {result.action}"

    @mcp.tool
    async def export_report(steps: int, ctx: Context) -> str:
        """A long task: reports progress and logs as it goes."""
        for step in range(steps):
            await ctx.report_progress(step + 1, steps, f"step {step + 1}")
        with warnings.catch_warnings():  # logging is deprecated at 2026-07-28, still sent
            warnings.simplefilter("ignore")
            await ctx.info("export finished")
            await ctx.log("disk almost full", level="warning")
        ledger.ran.append(("export_report", {"steps": steps}))
        return f"exported in {steps} steps"

    return mcp


def _data(outcome: Any) -> dict[str, Any]:
    data = getattr(outcome, "data", None)
    if isinstance(data, BaseModel):
        return {"content": data.model_dump()}
    return {}
