"""Tokens are visible ASCII only (issue 12 item 3): anything else is InvalidToken.

The refusal happens before any header is encoded, so no ``UnicodeEncodeError`` (whose
args would hold ``'Bearer <token>'``) can escape, and the token appears in no message,
repr, log record or traceback with frame locals. The malformed tokens live in a
module-level list and are referenced by index, so the test's own frames hold none.
"""

from __future__ import annotations

import logging
import traceback

import pytest
from langchain_core.messages import ToolMessage

from mcp_gateway_tools import Gateway, GatewayError, InvalidToken, MissingUserToken, user_token
from mcp_gateway_tools.langchain import GatewayToolkit
from mcp_gateway_tools.langchain.testing import tool_call
from tests.support.faultgateway import FaultGateway
from tests.support.serving import ThreadedServer

BAD = [
    "s\u00e9cret-token-\u00e9\u00e9\u00e9",  # non-ASCII: once a UnicodeEncodeError
    "secret token with spaces",
    "secret-token\r\nX-Injected: 1",
    "secret-token\x00nul",
    "secret-token\u202eevil",
    "Bearer secret-\u00fcber-token",
]
MARK = "secret"


def leaks(exc: BaseException) -> list[str]:
    """Places a refused token shows up: message, repr, args, traceback with locals."""
    text = [
        str(exc),
        repr(exc),
        repr(exc.args),
        "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format()),
    ]
    return [
        t for t in text for bad in BAD if bad in t or bad.encode("unicode_escape").decode() in t
    ]


@pytest.mark.parametrize("case", range(len(BAD)))
async def test_a_malformed_token_is_invalid_token_on_every_core_path(
    fault_server: ThreadedServer,
    fault_gateway: FaultGateway,
    case: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    async with Gateway(fault_server.url) as gw:
        for attempt in ("call", "bound", "provider", "listing"):
            try:
                if attempt == "call":
                    await gw.call_tool("echo", "whoami", token=BAD[case])
                elif attempt == "bound":
                    with user_token(BAD[case]):
                        await gw.call_tool("echo", "whoami")
                elif attempt == "provider":
                    await gw.call_tool("echo", "whoami", token=lambda: BAD[case])
                else:
                    await gw.list_tools("echo", token=BAD[case])
            except GatewayError as exc:
                errors.append(exc)
    try:
        Gateway(fault_server.url, token=BAD[case])
    except GatewayError as exc:
        errors.append(exc)
    assert [type(e) for e in errors] == [InvalidToken] * 5
    assert not [e for e in errors if isinstance(e, MissingUserToken)]
    assert [leak for e in errors for leak in leaks(e)] == []
    assert fault_gateway.calls("echo") == []  # refused before anything was sent
    assert not [r for r in caplog.records for bad in BAD if bad in r.getMessage()]


async def test_a_langchain_tool_renders_the_refusal_without_the_token(
    fault_server: ThreadedServer, fault_gateway: FaultGateway
) -> None:
    async with Gateway(fault_server.url) as gw:
        tools = await GatewayToolkit(gw, ["echo"]).aget_tools(token="a-valid-lister")
        [tool] = [t for t in tools if t.name.endswith("whoami")]
        fault_gateway.requests.clear()
        outcome: object
        try:
            outcome = await tool.ainvoke(
                tool_call(tool.name, {}), {"configurable": {"user_token": lambda: BAD[0]}}
            )
        except Exception as exc:  # the adapter's "raise" policy, if that is its default
            outcome = exc
    if isinstance(outcome, BaseException):
        assert not leaks(outcome)
        assert "malformed" in str(outcome)
    else:
        assert isinstance(outcome, ToolMessage)
        assert outcome.status == "error"
        assert "malformed" in outcome.text
        assert not [bad for bad in BAD if bad in outcome.text or bad in repr(outcome.artifact)]
    assert fault_gateway.calls("echo") == []
