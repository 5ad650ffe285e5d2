"""The Connect card's data: which party authorizes, from the interrupt payload alone."""

from __future__ import annotations

from langgraph.types import Interrupt

from mcp_gateway_tools.demo.web._events import pending


def test_a_card_says_whether_the_gateway_or_this_app_runs_the_servers_oauth() -> None:
    payload = {
        "type": "authorization_required",
        "tool": "list_events",
        "authorization_urls": {
            "mail": "http://127.0.0.1:1/consent/mail",
            "calendar": "http://127.0.0.1:2/authorize?state=s",
            "evil": "javascript:alert(1)",
        },
        "server_names": {"mail": "Mail", "calendar": "calendar"},
    }
    [card] = pending([Interrupt(value=payload, id="i1")])
    links = {link["server"]: (link["name"], link["authorized_by"]) for link in card["links"]}
    assert links == {"mail": ("Mail", "gateway"), "calendar": ("Calendar", "app")}
