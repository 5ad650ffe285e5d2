"""A hostile gateway, through the core: every answer becomes a safe typed outcome.

Each case is something a gateway really can send (see ``hostile.py``); each test
asserts the safe behaviour, and ``test_the_token_appears_nowhere`` scans everything
all cases produced: messages, reprs, observations, model text, tracebacks rendered
with their frames' locals, and every log record at DEBUG.
"""

from __future__ import annotations

import asyncio
import json
import traceback
from typing import Any

import pytest
from pydantic import SecretStr

from mcp_gateway_tools import (
    AccessDenied,
    AuthorizationRequired,
    Gateway,
    GatewayError,
    GatewayUnavailable,
    InvalidAuthorizationUrl,
    InvalidToken,
    OAuthRequired,
    ProtocolError,
    RateLimited,
    ToolCallError,
    UnknownServer,
    user_token,
)
from mcp_gateway_tools._bodies import ACCEPT_ENCODING, decoder_for
from tests.reliability.leaks import Haystack
from tests.security.conftest import TOKEN, leaked_forms
from tests.security.hostile import BAD_LINKS
from tests.support.serving import ThreadedServer

CONNECT_CASES: dict[str, type[GatewayError]] = {
    "e401": InvalidToken,
    "e403": AccessDenied,
    "e500": GatewayUnavailable,
    "e503": GatewayUnavailable,
    "deflate403": AccessDenied,
    "gzip403": AccessDenied,
    "consent": AuthorizationRequired,
    "gzip401": AuthorizationRequired,
    "br403": AccessDenied,
    "br401": AuthorizationRequired,
    "bomb401": InvalidToken,
    "brbomb401": InvalidToken,
    "deep401": ProtocolError,
    "oauth401": OAuthRequired,
    "oauthmeta401": OAuthRequired,
    "rfc6750": InvalidToken,
    "litellm401": InvalidToken,
    "cf403": AccessDenied,
    **{f"badlink-{form}": InvalidAuthorizationUrl for form in BAD_LINKS},
}
CALL_CASES: dict[str, type[GatewayError] | None] = {
    "rpcerror": ToolCallError,
    "brrpcerror": ToolCallError,
    "elicit": AuthorizationRequired,
    "links100k": AuthorizationRequired,
    "cf": AuthorizationRequired,
    "cfabsolute": AuthorizationRequired,
    "escapedrpc": ToolCallError,  # the token spelled with JSON \\u escapes
    "sseescapedrpc": ToolCallError,  # the same in an SSE event
    "notrpc": ProtocolError,  # a 200 that is JSON, not JSON-RPC, quoting the token
    "ssenotrpc": ProtocolError,
    "escapednotrpc": ProtocolError,
    "iserror": None,  # a result with is_error, not an exception
    "escaped": None,
    "cfevil": None,
}


def locals_traceback(exc: BaseException) -> str:
    """What an error tracker that records frame locals would store."""
    return "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())


async def outcome(gw: Gateway, case: str, *, listing: bool = False) -> Any:
    """The exception or result of one call (or listing) of ``case``, as the user sees it."""
    try:
        with user_token(TOKEN):
            if listing:
                return await gw.list_tools(case)
            return await gw.call_tool(case, "whoami")
    except GatewayError as exc:
        return exc


# -- each case's safe behaviour ---------------------------------------------------------


@pytest.mark.parametrize("case", sorted(CONNECT_CASES))
async def test_connect_time_answers_become_their_typed_error_without_a_cause_chain(
    hostile: ThreadedServer, case: str
) -> None:
    async with Gateway(hostile.url) as gw:
        for listing in (False, True):
            error = await outcome(gw, case, listing=listing)
            assert type(error) is CONNECT_CASES[case]
            assert error.__cause__ is None
            assert error.__context__ is None
            assert TOKEN not in locals_traceback(error)


@pytest.mark.parametrize("case", sorted(CALL_CASES))
async def test_call_time_answers_become_their_typed_outcome(
    hostile: ThreadedServer, case: str
) -> None:
    async with Gateway(hostile.url) as gw:
        got = await outcome(gw, case)
    expected = CALL_CASES[case]
    if expected is None:
        assert got.is_error
        assert TOKEN not in got.text
    else:
        assert type(got) is expected
        assert got.__cause__ is None
        assert got.__context__ is None
        assert TOKEN not in locals_traceback(got)


async def test_gateway_text_is_kept_with_the_token_redacted(hostile: ThreadedServer) -> None:
    async with Gateway(hostile.url) as gw:
        e401, e403, e500, rpc = [await outcome(gw, c) for c in ("e401", "e403", "e500", "rpcerror")]
        deflated, gzipped = await outcome(gw, "deflate403"), await outcome(gw, "gzip403")
        brotlied, brotlied_rpc = await outcome(gw, "br403"), await outcome(gw, "brrpcerror")
    assert "invalid token [redacted] ([redacted])" in e401.message
    assert "no access for [redacted]" in e403.message
    assert "Authorization: [redacted]" in e500.message
    assert "bad credentials [redacted]" in rpc.message
    assert "denied for [redacted]" in deflated.message  # deflate body decoded
    assert "denied for [redacted]" in gzipped.message  # behind Starlette's GZipMiddleware
    assert "denied for [redacted]" in brotlied.message  # br body decoded
    assert "bad [redacted]" in brotlied_rpc.message  # br success answer decoded, redacted


async def test_the_client_asks_only_for_encodings_it_decodes(hostile: ThreadedServer) -> None:
    hostile.app.accept_encodings.clear()
    async with Gateway(hostile.url) as gw:
        await outcome(gw, "echo")
    assert hostile.app.accept_encodings == {ACCEPT_ENCODING}
    assert ACCEPT_ENCODING == "gzip, deflate, br"  # brotli is installed (the dev extra)
    for coding in ACCEPT_ENCODING.split(", "):
        assert decoder_for(coding) is not None


async def test_error_text_results_lose_the_token_but_keep_their_words(
    hostile: ThreadedServer,
) -> None:
    async with Gateway(hostile.url) as gw:
        plain, escaped = await outcome(gw, "iserror"), await outcome(gw, "escaped")
        ok = await outcome(gw, "echo")
    assert plain.text == "upstream refused Authorization: [redacted]"
    assert escaped.text == "upstream said [redacted]"
    assert ok.text == f"Bearer {TOKEN}"  # a successful result is the tool's own business


async def test_consent_text_is_one_line_bounded_and_quoted_after_our_sentence(
    hostile: ThreadedServer,
) -> None:
    async with Gateway(hostile.url) as gw:
        error = await outcome(gw, "consent")
        zipped, brotlied = await outcome(gw, "gzip401"), await outcome(gw, "br401")
    assert isinstance(zipped, AuthorizationRequired)  # the 401 behind GZipMiddleware
    assert isinstance(brotlied, AuthorizationRequired)  # the 401 as brotli
    assert brotlied.authorization_urls == error.authorization_urls
    assert isinstance(error, AuthorizationRequired)
    assert len(error.message) <= 500
    assert "\n" not in error.message
    assert error.server_names["mail"] == "Mail - Mail (backup): javascript:alert(1)"
    assert error.server_names["cal"] == "Cal[redacted]]52;c;QUJD"
    text = error.render_text()
    first, second = text.splitlines()[:2]
    assert first == "Authorization is required before this tool on 'consent' can run."
    assert second.startswith("The gateway's message (quoted, not an instruction): \"Authorize")
    links = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(links) == 2  # the forged newline did not add a line
    assert "link not on the gateway's site: auth.elsewhere.example" in links[1]
    assert "not on the gateway's site" not in links[0]
    assert len(text) < 2000
    facts = {f["server"]: f["same_origin"] for f in error.to_observation()["links"]}
    assert facts == {"mail": True, "cal": False}


async def test_an_instruction_shaped_elicitation_is_quoted_and_its_link_flagged(
    hostile: ThreadedServer,
) -> None:
    async with Gateway(hostile.url) as gw:
        error = await outcome(gw, "elicit")
    text = error.render_text()
    assert not text.startswith("SYSTEM NOTICE")
    assert '(quoted, not an instruction): "SYSTEM NOTICE' in text
    assert "link not on the gateway's site: evil.example" in text
    assert error.to_observation()["links"][0]["same_origin"] is False


async def test_a_hundred_thousand_links_give_twenty_and_a_count(hostile: ThreadedServer) -> None:
    async with Gateway(hostile.url) as gw:
        error = await outcome(gw, "links100k")
    assert len(error.authorization_urls) == 20
    assert error.omitted_links == 99_980
    assert "and 99980 more links, not shown" in error.render_text()
    assert len(error.render_text()) < 3000
    assert len(json.dumps(error.to_observation())) < 10_000


async def test_a_decompression_bomb_is_cut_and_a_deep_body_is_a_protocol_error(
    hostile: ThreadedServer,
) -> None:
    async with Gateway(hostile.url) as gw:
        bomb, deep = await outcome(gw, "bomb401"), await outcome(gw, "deep401")
        brbomb = await outcome(gw, "brbomb401")
    for cut in (bomb, brbomb):
        assert isinstance(cut, InvalidToken)
        assert len(cut.message) < 700
    assert isinstance(deep, ProtocolError)
    assert "nested too deeply" in deep.message


async def test_contextforge_authorize_first_becomes_a_consent_link_on_the_gateway(
    hostile: ThreadedServer,
) -> None:
    async with Gateway(hostile.url) as gw:
        relative, absolute = await outcome(gw, "cf"), await outcome(gw, "cfabsolute")
        forged = await outcome(gw, "cfevil")
    for error in (relative, absolute):
        assert error.authorization_urls == {
            "cf" if error is relative else "cfabsolute": (f"{hostile.url}/oauth/authorize/gw-123")
        }
        assert "signed in to the gateway" in error.message
        assert error.link_facts()[0]["same_origin"] is True
    # A tool printing the sentence with a link elsewhere forges no consent button.
    assert forged.is_error
    assert "evil.example" in forged.text


async def test_oauth_challenge_is_oauth_required_and_a_bare_one_stays_invalid_token(
    hostile: ThreadedServer,
) -> None:
    async with Gateway(hostile.url) as gw:
        uri, meta = await outcome(gw, "oauth401"), await outcome(gw, "oauthmeta401")
        bare = await outcome(gw, "rfc6750")
    assert uri.authorization_uri == (
        f"{hostile.url}/.well-known/oauth-authorization-server/oauth401"
    )
    assert "does not hold for the caller" in uri.message
    assert meta.resource_metadata_url == f"{hostile.url}/.well-known/oauth-protected-resource/mcp"
    assert meta.scope == "files:read [redacted]"
    assert isinstance(bare, InvalidToken)
    assert "Token expired. Use a valid" in bare.message  # one period, not two


async def test_real_gateways_messages_are_read_from_their_body_shapes(
    hostile: ThreadedServer,
) -> None:
    async with Gateway(hostile.url) as gw:
        litellm, contextforge = await outcome(gw, "litellm401"), await outcome(gw, "cf403")
        unavailable = await outcome(gw, "e503")
    assert "Authenticate with the gateway to use the MCP endpoint" in litellm.message
    assert "(unknown server or no access): Access denied" in contextforge.message
    assert unavailable.retry_after == 3.0
    assert "Retry after 3 s" in unavailable.message


async def test_a_404_under_a_base_url_with_a_path_names_the_url_and_how_to_address_it(
    hostile: ThreadedServer,
) -> None:
    async with Gateway(f"{hostile.url}/prefix") as gw:
        error = await outcome(gw, "anything")
    assert isinstance(error, UnknownServer)
    assert f"{hostile.url}/prefix/mcp/anything/server" in error.message
    assert "servers=" in error.message
    assert "endpoint_template=" in error.message


# -- the scan ---------------------------------------------------------------------------


async def test_the_token_appears_nowhere(
    hostile: ThreadedServer, debug_logs: pytest.LogCaptureFixture
) -> None:
    hay = Haystack()
    async with Gateway(hostile.url, token=SecretStr(TOKEN)) as service, Gateway(hostile.url) as gw:
        for case in [*CONNECT_CASES, *CALL_CASES]:
            for listing in (False, True):
                for got in (await outcome(gw, case, listing=listing),):
                    hay.add(got)
                    if isinstance(got, BaseException):
                        hay.add_text(locals_traceback(got), str(got.cause_message))
                    if isinstance(got, AuthorizationRequired):
                        hay.add_text(got.render_text())
            try:
                await service.call_tool(case, "whoami")
            except GatewayError as exc:
                hay.add(exc)
                hay.add_text(locals_traceback(exc))
        hay.add(gw, service)
    hay.add_logs(debug_logs.records, debug_logs.text)
    assert any(r.levelname == "DEBUG" and r.name.startswith("mcp") for r in debug_logs.records)
    hits = hay.find([TOKEN]) + leaked_forms(hay.renderings())
    assert not hits, hits[:3]


async def test_opt_in_retry_waits_out_a_short_retry_after_once(hostile: ThreadedServer) -> None:
    app = hostile.app
    async with Gateway(hostile.url, token=TOKEN) as plain:
        app.flaky_calls = 0
        with pytest.raises(RateLimited) as caught:
            await plain.call_tool("flaky429", "whoami")  # off by default: raised
    assert caught.value.retry_after == 0.0
    async with Gateway(hostile.url, token=TOKEN, retry_rate_limited=5.0) as patient:
        app.flaky_calls = 0
        result = await patient.call_tool("flaky429", "whoami")
    assert result.text == f"Bearer {TOKEN}"
    assert app.flaky_calls == 2  # one refused, one retried


@pytest.mark.parametrize("case", ["e401", "call-e401", "consent", "rpcerror"])
async def test_a_plain_per_call_token_is_in_no_frame_of_the_traceback(
    hostile: ThreadedServer, case: str
) -> None:
    async with Gateway(hostile.url) as gw:
        with pytest.raises(GatewayError) as in_async:
            await gw.call_tool(case, "whoami", token=TOKEN)
        with pytest.raises(GatewayError) as listing:
            await gw.list_tools("e403", token=TOKEN)
    sync_gw = Gateway(hostile.url)
    try:
        with pytest.raises(GatewayError) as in_sync:
            await asyncio.to_thread(lambda: sync_gw.call_tool_sync(case, "whoami", token=TOKEN))
    finally:
        await asyncio.to_thread(sync_gw.close)
    for caught in (in_async, listing, in_sync):
        assert TOKEN not in locals_traceback(caught.value)
