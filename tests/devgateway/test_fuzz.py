"""Property: whatever a client sends, the gateway never answers 500 or leaks a trace."""

from __future__ import annotations

import json
from typing import Any

import httpx2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcp_gateway_tools.devgateway import DevGateway

from .helpers import headers

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_messages = st.fixed_dictionaries(
    {"jsonrpc": st.sampled_from(["2.0", "1.0", 2]), "id": st.integers() | st.text(max_size=5)},
    optional={
        "method": st.sampled_from(
            ["initialize", "tools/list", "tools/call", "server/discover", "ping", "x/y"]
        )
        | st.text(max_size=10),
        "params": st.fixed_dictionaries(
            {},
            optional={
                "name": st.sampled_from(["mail_whoami", "search_docs", "get_article"])
                | st.text(max_size=8)
                | st.integers(),
                "arguments": _json_values,
            },
        )
        | _json_values,
    },
)


def test_random_messages_never_500() -> None:
    with DevGateway() as gw, httpx2.Client(timeout=30) as http:
        gw.consent("alice", "mail")
        token = gw.tokens.user("bob")

        @settings(
            max_examples=60,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            derandomize=True,
        )
        @given(
            message=_messages | _json_values,
            server=st.sampled_from(["knowledge", "mail", "workspace", "search"]),
            who=st.sampled_from(["bob", "alice", "service"]),
        )
        def check(message: Any, server: str, who: str) -> None:
            tok = gw.tokens.service if who == "service" else gw.tokens.user(who)
            resp = http.post(gw.url(server), content=json.dumps(message), headers=headers(tok))
            assert resp.status_code < 500, resp.text
            assert "Traceback" not in resp.text
            assert token not in resp.text

        check()
