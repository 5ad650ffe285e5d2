"""A page opened at any moment shows each line of its user's thread once, and no one else's."""

from __future__ import annotations

from mcp_gateway_tools.demo.web._runs import Hub


def test_a_page_opened_mid_run_gets_the_lines_so_far_once_then_the_rest() -> None:
    hub = Hub()
    hub.reset("bob", [{"type": "user", "text": "earlier"}], busy=False, checkpoint="c1")
    hub.publish("bob", {"type": "user", "text": "list my mail"})
    hub.publish("bob", {"type": "busy"})
    hub.publish("bob", {"type": "tool_call", "tool": "list_messages", "args": {}})

    page = hub.subscribe("bob", busy=True)
    hub.publish("bob", {"type": "answer", "text": "Inbox of bob@example.com"})

    snapshot = page.get_nowait()
    assert snapshot["busy"] is True
    assert [e["type"] for e in snapshot["events"]] == ["user", "user", "tool_call"]
    assert page.get_nowait()["type"] == "answer"
    assert page.empty()


def test_one_users_events_never_reach_another_users_page() -> None:
    hub = Hub()
    alice = hub.subscribe("alice", busy=False)
    hub.publish("bob", {"type": "authorization", "id": "x", "links": []})
    assert alice.get_nowait()["events"] == []
    assert alice.empty()
