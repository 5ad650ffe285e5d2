"""Third-party log records never carry the token, and users' own logging is untouched.

The scans in ``test_core``/``test_adapters`` capture every record at DEBUG; these pin
the filter itself: it sits on every third-party logger that exists once a Gateway ran,
it removes the session's token from a record's message and from its exception text
(mcp logs a body it cannot parse with ``exc_info``, and pydantic's error quotes the
body), and it leaves other records, handlers and levels as the user set them.
"""

from __future__ import annotations

import logging

import pydantic
import pytest

from mcp_gateway_tools import Gateway, GatewayError, user_token
from mcp_gateway_tools._wirelog import PREFIXES, RedactingFilter, wire_secret
from tests.security.conftest import TOKEN, leaked_forms
from tests.security.hostile import json_escaped
from tests.support.serving import ThreadedServer


def has_redacting_filter(logger: logging.Logger) -> bool:
    return any(isinstance(f, RedactingFilter) for f in logger.filters)


async def test_every_third_party_logger_that_exists_after_a_call_is_filtered(
    hostile: ThreadedServer, debug_logs: pytest.LogCaptureFixture
) -> None:
    async with Gateway(hostile.url) as gw:
        for case in ("ssenotrpc", "sseescapedrpc", "e401"):
            try:
                with user_token(TOKEN):
                    await gw.call_tool(case, "whoami")
            except GatewayError:
                pass
    producers = {r.name for r in debug_logs.records if r.name.startswith(PREFIXES)}
    assert {"mcp.client.streamable_http", "httpx2", "httpcore2.http11"} <= producers
    registry = [n for n in logging.root.manager.loggerDict if n.startswith(PREFIXES)]
    loggers = [logging.getLogger(n) for n in registry]
    assert [lg.name for lg in loggers if not has_redacting_filter(lg)] == []
    assert leaked_forms([debug_logs.text]) == []
    assert TOKEN not in debug_logs.text


def parse_error() -> pydantic.ValidationError:
    """What mcp logs with ``exc_info`` for a body that is not JSON-RPC: pydantic's error,
    whose text quotes the body (here with the token JSON-escaped, as the wire had it)."""

    class Message(pydantic.BaseModel):
        id: int

    try:
        Message.model_validate_json(f'{{"detail": "bad Bearer {json_escaped(TOKEN)}"}}')
    except pydantic.ValidationError as exc:
        return exc
    raise AssertionError("the body validated")


def test_an_exception_quoting_the_token_is_logged_as_redacted_text_without_its_frames(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("mcp.client.streamable_http")
    caplog.set_level(logging.DEBUG, logger=logger.name)
    error = parse_error()
    assert TOKEN in str(error)  # pydantic quotes the decoded body
    context = wire_secret.set(TOKEN)
    try:
        logger.error("Error parsing JSON response", exc_info=error)
        logger.debug("SSE message: %s", {"message": f"bad Bearer {TOKEN}"})
        logger.error("unrelated failure", exc_info=ValueError("no secret here"))
    finally:
        wire_secret.reset(context)
    quoting, message, unrelated = caplog.records
    assert quoting.exc_info is None  # no handler or tracker reaches the frames
    assert "[redacted]" in (quoting.exc_text or "")
    assert message.getMessage() == "SSE message: {'message': 'bad [redacted]'}"
    assert unrelated.exc_info is not None  # records without the token are left alone
    assert TOKEN not in caplog.text


def test_users_own_loggers_handlers_and_levels_are_untouched(
    hostile: ThreadedServer, caplog: pytest.LogCaptureFixture
) -> None:
    mine = logging.getLogger("myapp.audit")
    levels = {n: logging.getLogger(n).level for n in ("mcp", "httpx2", "fastmcp", "")}
    handlers = {n: list(logging.getLogger(n).handlers) for n in ("mcp", "httpx2", "")}
    gw = Gateway(hostile.url)
    try:
        with user_token(TOKEN):
            gw.call_tool_sync("echo", "whoami")
    finally:
        gw.close()
    assert not has_redacting_filter(mine)
    assert {n: logging.getLogger(n).level for n in levels} == levels
    assert {n: list(logging.getLogger(n).handlers) for n in handlers} == handlers
    with caplog.at_level(logging.INFO, logger="myapp.audit"):
        mine.info("user %s called with %s", "alice", TOKEN)  # the app's own choice
    assert caplog.records[-1].getMessage() == f"user alice called with {TOKEN}"
