"""The parsers a hostile gateway reaches, pinned to exact bytes.

Links (``validate_url``), compressed and bomb bodies (``read_error_body``), the words
for a failed connection (``describe_cause``) and the connection failures a user
really meets (TLS to a plain-HTTP port, a refused port), each as the user sees it.
"""

from __future__ import annotations

import gzip
import os
import socket
import ssl
import subprocess
import sys
import tracemalloc
import zlib
from collections.abc import AsyncIterator

import brotli
import httpx2
import pytest

from mcp_gateway_tools import Gateway, GatewayUnavailable, InvalidAuthorizationUrl
from mcp_gateway_tools._auth import validate_url
from mcp_gateway_tools._bodies import MAX_ERROR_BODY, read_error_body
from mcp_gateway_tools._transport import describe_cause
from tests.security.conftest import TOKEN
from tests.security.hostile import BAD_LINKS
from tests.support.serving import ThreadedServer, free_port


@pytest.mark.parametrize("form", sorted(BAD_LINKS))
def test_each_bad_link_form_is_refused(form: str) -> None:
    with pytest.raises(InvalidAuthorizationUrl) as caught:
        validate_url(BAD_LINKS[form], "mail")
    assert BAD_LINKS[form] not in caught.value.message


def test_a_link_carrying_the_callers_token_is_refused() -> None:
    with pytest.raises(InvalidAuthorizationUrl, match="caller's token"):
        validate_url(f"https://gw.example/consent?t={TOKEN}", "mail", secrets=[TOKEN])


def test_hosts_are_shown_in_punycode_and_good_links_pass_unchanged() -> None:
    assert validate_url("https://bücher.example/x?a=1", "m") == (
        "https://xn--bcher-kva.example/x?a=1"
    )
    assert validate_url("https://аpple.com/", "m") == "https://xn--pple-43d.com/"
    good = "https://gw.example:8443/consent/mail?state=abc#top"
    assert validate_url(good, "m") == good


class _Wire(httpx2.AsyncByteStream):
    """Bytes as they come off a socket: in 64 KiB reads, not yet decoded."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.body), 65536):
            yield self.body[start : start + 65536]


def _response(body: bytes, encoding: str) -> httpx2.Response:
    return httpx2.Response(401, headers={"content-encoding": encoding}, stream=_Wire(body))


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),
        ("br", brotli.compress),
    ],
)
async def test_compressed_error_bodies_are_decoded(encoding: str, encode: object) -> None:
    body = b'{"detail": "Access denied"}'
    raw, truncated = await read_error_body(_response(encode(body), encoding))  # type: ignore[operator]
    assert raw == body
    assert not truncated


BOMBS = {
    "gzip": lambda b: gzip.compress(b, compresslevel=9),
    "br": lambda b: brotli.compress(b, quality=1),
}


@pytest.mark.parametrize("encoding", sorted(BOMBS))
async def test_a_decompression_bomb_is_cut_at_the_bound_not_expanded(encoding: str) -> None:
    bomb = BOMBS[encoding](b"A" * (256 * 1024 * 1024))  # 256 MiB inflated
    assert len(bomb) < 512 * 1024
    tracemalloc.start()
    try:
        raw, truncated = await read_error_body(_response(bomb, encoding))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert truncated
    assert len(raw) == MAX_ERROR_BODY
    assert peak < 8 * MAX_ERROR_BODY  # a few MiB of buffers, never the 256 MiB


@pytest.mark.parametrize("encoding", ["gzip", "br"])
async def test_corrupt_compressed_bytes_cut_the_body_there(encoding: str) -> None:
    good = BOMBS[encoding](b'{"detail": "Access denied"}' * 1000)
    raw, truncated = await read_error_body(_response(good[:40] + b"\xff" * 64, encoding))
    assert truncated
    assert len(raw) < 27 * 1000


def test_without_brotli_br_is_neither_asked_for_nor_decoded() -> None:
    code = (
        "import sys; sys.modules['brotli'] = None\n"
        "from mcp_gateway_tools._bodies import ACCEPT_ENCODING, decoder_for\n"
        "print(ACCEPT_ENCODING, decoder_for('br'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    assert out.stdout.strip() == "gzip, deflate None"


async def test_an_encoding_we_did_not_ask_for_gives_no_body() -> None:
    raw, truncated = await read_error_body(_response(b"\x28\xb5\x2f\xfd", "zstd"))
    assert raw == b""
    assert truncated


def _chain(outer: BaseException, inner: BaseException) -> BaseException:
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (
            _chain(httpx2.ConnectError("x"), ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong")),
            "port speaks plain HTTP",
        ),
        (
            _chain(
                httpx2.ConnectError("x"), ssl.SSLCertVerificationError("CERTIFICATE_VERIFY_FAILED")
            ),
            "certificate failed verification",
        ),
        (_chain(httpx2.ConnectError("x"), ConnectionRefusedError(111, "refused")), "refused"),
        (_chain(httpx2.ConnectError("x"), socket.gaierror(-2, "Name or service not known")), "DNS"),
        (httpx2.ProxyError("502 from proxy"), "proxy"),
        (httpx2.ConnectTimeout("slow"), "no answer in time"),
    ],
)
def test_a_failed_connection_is_described_by_its_real_cause(exc: BaseException, words: str) -> None:
    assert words in describe_cause(exc)


async def test_tls_to_a_plain_http_port_says_so_and_names_the_url(
    hostile: ThreadedServer,
) -> None:
    url = hostile.url.replace("http://", "https://")
    async with Gateway(url, token=TOKEN) as gw:
        with pytest.raises(GatewayUnavailable) as caught:
            await gw.call_tool("echo", "whoami")
    message = caught.value.message
    assert f"{url}/mcp/echo/server" in message
    assert "TLS was used, but the port speaks plain HTTP" in message
    assert "\n" not in message


async def test_a_refused_connection_says_so_and_names_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with Gateway(url, token=TOKEN) as gw:
        with pytest.raises(GatewayUnavailable) as caught:
            await gw.call_tool("echo", "whoami")
    assert f"{url}/mcp/echo/server: connection refused" in caught.value.message
