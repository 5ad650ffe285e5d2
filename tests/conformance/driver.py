"""The conformance suite's client: ``python driver.py <server-url>``, public API only.

The suite runs this once per scenario with the scenario server's URL as the last
argument and the scenario's name in ``MCP_CONFORMANCE_SCENARIO``. It does what an app
does with the library: a :class:`~mcp_gateway_tools.Gateway` whose ``servers`` map
names that URL, ``list_tools``, then ``call_tool`` on every tool listed, with arguments
made from each tool's input schema. Form elicitation (the server asking the user for
input) is answered by the app's callback: here, accept with the schema's defaults,
which the library applies (SEP-1034) to the request it hands the callback.

Exit status 0 when every call returned a result; 1 with the error's type on stderr
when the library raised (e.g. the auth scenarios, whose OAuth the library does not
run: it must fail with a typed error, never hang or crash).
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from mcp_gateway_tools import (
    Answer,
    Gateway,
    GatewayError,
    InputRequest,
    ToolInfo,
    UserActionRequest,
)

SERVER = "conformance"


def answer(request: UserActionRequest) -> Answer | None:
    """The app's callback: accept a form as the schema's defaults fill it.

    ``Answer.accept()`` with no content: the library fills in every default the
    requested schema declares (SEP-1034). Anything else is left to the policy.
    """
    if isinstance(request, InputRequest):
        return Answer.accept()
    return None


def arguments_for(tool: ToolInfo) -> dict[str, Any]:
    """Plausible arguments for every property of the tool's input schema."""
    samples = {"number": 2, "integer": 3, "boolean": True, "string": "conformance"}
    properties = tool.input_schema.get("properties") or {}
    args: dict[str, Any] = {}
    for name, schema in properties.items():
        kind = schema.get("type") if isinstance(schema, dict) else None
        if isinstance(kind, str) and kind in samples:
            args[name] = samples[kind]
    return args


async def drive(url: str) -> None:
    gateway = Gateway(
        servers={SERVER: url},
        token="conformance-client",
        on_interaction=answer,
        # Four scenarios start at once on a busy 2-core machine: no tight deadlines.
        connect_timeout=60.0,
        call_timeout=60.0,
    )
    async with gateway:
        for tool in await gateway.list_tools(SERVER):
            result = await gateway.call_tool(SERVER, tool.name, arguments_for(tool))
            print(f"{tool.name}: is_error={result.is_error} {result.text}")


def main() -> int:
    url = sys.argv[-1]
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "?")
    try:
        asyncio.run(drive(url))
    except GatewayError as exc:
        print(f"{scenario}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
