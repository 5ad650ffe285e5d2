"""Downstream failures: an unreachable server is a 502, a hung one a 504 within the timeout."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from mcp_gateway_tools.devgateway import DEFAULT_CONFIG_TOML, DevGateway, parse_config

from .helpers import INITIALIZE, call, headers


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def hanging_port() -> Iterator[int]:
    """Accepts connections, reads, never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def _gateway(down: int, hang: int) -> DevGateway:
    text = (
        DEFAULT_CONFIG_TOML
        + f"""
[servers.down]
url = "http://127.0.0.1:{down}/mcp"
accounts = ["*"]

[servers.hang]
url = "http://127.0.0.1:{hang}/mcp"
accounts = ["*"]
timeout = 1.0

[virtual_servers.mixed]
accounts = ["*"]
tools = ["knowledge.search_docs", "hang.slow_tool"]
"""
    )
    return DevGateway(parse_config(text))


def test_down_is_502_and_hang_is_504(closed_port: int, hanging_port: int, http: Any) -> None:
    with _gateway(closed_port, hanging_port) as gw:
        token = gw.tokens.service
        resp = http.post(gw.url("down"), json=INITIALIZE, headers=headers(token))
        assert resp.status_code == 502
        body = resp.json()
        assert body["error"]["type"] == "BadGatewayError"
        assert "down" in body["error"]["message"]

        started = time.monotonic()
        resp = http.post(gw.url("hang"), json=INITIALIZE, headers=headers(token))
        elapsed = time.monotonic() - started
        assert resp.status_code == 504
        assert resp.json()["error"]["type"] == "GatewayTimeoutError"
        assert elapsed < 5.0

        # The gateway keeps serving healthy servers.
        ok = http.post(gw.url("knowledge"), json=call("kb_whoami"), headers=headers(token))
        assert ok.status_code == 200


def test_virtual_server_with_hung_member_times_out(
    closed_port: int, hanging_port: int, http: Any
) -> None:
    with _gateway(closed_port, hanging_port) as gw:
        started = time.monotonic()
        resp = http.post(
            gw.url("mixed"), json=call("slow_tool"), headers=headers(gw.tokens.service)
        )
        assert resp.status_code in (502, 504)
        assert time.monotonic() - started < 5.0
        assert "Traceback" not in resp.text


@pytest.fixture
def failing_port() -> Iterator[int]:
    """An HTTP server that answers every POST with 503."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            self.send_response(503)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()
    thread.join()


def test_downstream_http_error_is_502(failing_port: int, http: Any) -> None:
    text = (
        DEFAULT_CONFIG_TOML
        + f"""
[servers.broken]
url = "http://127.0.0.1:{failing_port}/mcp"
accounts = ["*"]
"""
    )
    with DevGateway(parse_config(text)) as gw:
        resp = http.post(gw.url("broken"), json=INITIALIZE, headers=headers(gw.tokens.service))
        assert resp.status_code == 502
        assert "503" in resp.json()["error"]["message"]
