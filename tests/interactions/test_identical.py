"""Identical behaviour, proven: every request kind x every policy x every framework.

Each case runs one tool call through a real LangChain agent (async and sync
``create_agent`` with ``InMemorySaver``) and a real LlamaIndex ``FunctionAgent``,
against real servers: the ``desk`` fastmcp server (a form, a URL elicitation, a
destructive tool) and the dev gateway (its consent 401). The three runs must agree on
the model's text, the observation data, what the app was told, where the run paused,
what propagated, and what reached the server; each case also pins the expected values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from llama_index.core.workflow import Event

from mcp_gateway_tools import Answer, Gateway, UserActionRequest, user_token
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.llamaindex import (
    ApprovalAnswerEvent,
    AuthorizationCompletedEvent,
    InputAnswerEvent,
)

from .harness import FRAMEWORKS, Observed, run
from .servers import Ledger

POLICIES = [
    "observation",
    "decline",
    "pause-yes",
    "pause-no",
    "raise",
    "callback-yes",
    "callback-no",
]
KINDS = ["input", "url", "approval", "consent"]
# Consent cannot be declined for the user: "decline" is not an authorization policy.
CASES = [
    (k, p) for k in KINDS for p in POLICIES if not (k in ("url", "consent") and p == "decline")
]

NOTE = (
    'The server asked the user: "Seat preferences for flight LH1?" (fields: seat, meal, '
    "name). No one could answer here, so it was declined."
)


@dataclass(frozen=True)
class Setup:
    server: str
    tool: str
    arguments: dict[str, Any]
    option: str  # the toolkit/spec argument that takes the policy


SETUPS = {
    "input": Setup("desk", "book_seat", {"flight": "LH1"}, "on_input_required"),
    "url": Setup("desk", "link_account", {}, "on_authorization_required"),
    "approval": Setup("desk", "cancel_booking", {"ref": "B7"}, "on_approval_required"),
    # The virtual server lists mail tools without consent; calling one needs it (401).
    "consent": Setup("workspace", "list_messages", {}, "on_authorization_required"),
}


def _callback(kind: str, yes: bool, dev: DevGateway) -> Any:
    async def answer(request: UserActionRequest) -> Answer:
        if kind == "consent" and yes:
            await dev.aconsent("alice", "mail")
        if kind == "input":
            return Answer.accept({"name": "Ann"}) if yes else Answer.decline()
        if kind == "approval":
            return Answer.approve() if yes else Answer.reject("not now")
        return Answer.accept() if yes else Answer.decline()

    return answer


def _options(kind: str, policy: str, dev: DevGateway) -> dict[str, Any]:
    setup = SETUPS[kind]
    name = policy.split("-")[0]
    value: Any = {"pause": "interrupt", "callback": None}.get(name, name)
    if name == "callback":
        value = _callback(kind, policy.endswith("yes"), dev)
    options: dict[str, Any] = {setup.option: value}
    if kind == "approval":
        options["approval"] = "destructive"
    return options


def _resume(kind: str, yes: bool, dev: DevGateway) -> Any:
    """A LangGraph resume value, in the shapes apps already use for each kind."""

    def resume(payload: dict[str, Any]) -> Any:
        if kind == "input":  # langchain.mcp's elicitation resume
            key = payload["requests"][0]["key"]
            answer = (
                {"action": "accept", "content": {"name": "Ann"}} if yes else {"action": "decline"}
            )
            return {"responses": {key: answer}}
        if kind == "approval":  # HumanInTheLoopMiddleware's decisions
            decision = {"type": "approve"} if yes else {"type": "reject", "message": "not now"}
            return {"decisions": [decision]}
        if kind == "consent" and yes:
            dev.consent("alice", "mail")
        return yes

    return resume


def _answer(kind: str, yes: bool, dev: DevGateway) -> Any:
    """The LlamaIndex answer event for a waiting request event."""

    def answer(ev: Event) -> Event:
        rid = ev.request_id  # type: ignore[attr-defined]
        if kind == "input":
            if yes:
                return InputAnswerEvent(request_id=rid, content={"name": "Ann"})
            return InputAnswerEvent(request_id=rid, action="decline")
        if kind == "approval":
            if yes:
                return ApprovalAnswerEvent(request_id=rid)
            return ApprovalAnswerEvent(request_id=rid, action="reject", reason="not now")
        if kind == "consent" and yes:
            dev.consent("alice", "mail")
        return AuthorizationCompletedEvent(request_id=rid, approved=yes)

    return answer


async def _observe(
    framework: str, kind: str, policy: str, desk: Gateway, dev_gw: Gateway, dev: DevGateway
) -> Observed:
    setup = SETUPS[kind]
    yes = policy.endswith("yes")
    through = dev_gw if kind == "consent" else desk
    with user_token(dev.tokens.user("alice")):
        return await run(
            framework,
            through,
            setup.server,
            setup.tool,
            setup.arguments,
            _options(kind, policy, dev),
            resume=_resume(kind, yes, dev),
            answer=_answer(kind, yes, dev),
        )


def _normalized(seen: Observed) -> dict[str, Any]:
    """What must be equal across frameworks (links differ per run for URL elicitation)."""
    data = seen.data if isinstance(seen.data, dict) and "type" in seen.data else None
    return {
        "texts": [_unlinked(t) for t in seen.texts],
        "data_type": (data or {}).get("type"),
        "data": _unlinked_data(data),
        "events": [_unlinked_data(e) for e in seen.events],
        "paused": seen.paused,
        "raised": seen.raised,
    }


def _unlinked(text: str) -> str:
    return " ".join("<link>" if "/link/" in w or "/consent/" in w else w for w in text.split())


def _unlinked_data(data: Any) -> Any:
    """Links and the server's elicitation ids are fresh per call: keep only their count."""
    if isinstance(data, dict):
        return {
            k: (
                len(v)
                if k in ("authorization_urls", "server_names", "links")
                else _unlinked_data(v)
            )
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [_unlinked_data(v) for v in data]
    return data


def _expected(kind: str, policy: str) -> dict[str, Any]:
    """What each case must produce, whatever the framework."""
    if policy == "raise":
        error = {"input": "InputRequired", "approval": "ApprovalRequired"}.get(
            kind, "AuthorizationRequired"
        )
        return {"raised": error}
    if kind == "input":
        if policy in ("observation", "decline"):
            return {
                "texts": [NOTE, "not booked: the passenger chose decline"],
                "answers": ["decline"],
            }
        if policy.endswith("yes"):
            return {"texts": ["booked LH1: aisle seat for Ann, meal=True"], "answers": ["accept"]}
        return {"texts": ["not booked: the passenger chose decline"], "answers": ["decline"]}
    if kind == "approval":
        if policy.endswith("yes"):
            return {"texts": ["booking B7 cancelled"], "ran": ["cancel_booking"]}
        return {
            "ran": [],
            "data_type": "approval_rejected" if policy != "observation" else "approval_required",
        }
    if kind == "url":
        if policy.endswith("yes"):
            return {"texts": ["account linked"], "answers": ["accept"]}
        if policy == "callback-no":
            return {"texts": ["not linked: decline"], "answers": ["decline"]}
        if policy == "pause-no":
            return {"data_type": "authorization_declined", "answers": []}
        return {"data_type": "authorization_required", "answers": []}
    if policy.endswith("yes"):
        return {"data_type": None}
    return {
        "data_type": "authorization_declined" if policy.endswith("no") else "authorization_required"
    }


@pytest.mark.parametrize(("kind", "policy"), CASES)
async def test_every_framework_behaves_the_same(
    kind: str,
    policy: str,
    desk_gateway: Gateway,
    ledger: Ledger,
    dev: DevGateway,
    gateway: Gateway,
) -> None:
    observed: dict[str, dict[str, Any]] = {}
    server_saw: dict[str, tuple[list[str], list[str]]] = {}
    for framework in FRAMEWORKS:
        ledger.clear()
        for identity, server in dev.grants():
            dev.revoke(identity, server)
        seen = await _observe(framework, kind, policy, desk_gateway, gateway, dev)
        observed[framework] = _normalized(seen)
        server_saw[framework] = ([a["action"] for a in ledger.answers], [r[0] for r in ledger.ran])
    first = observed[FRAMEWORKS[0]]
    for framework in FRAMEWORKS[1:]:
        assert observed[framework] == first, framework
        assert server_saw[framework] == server_saw[FRAMEWORKS[0]], framework
    expected = _expected(kind, policy)
    answers, ran = server_saw[FRAMEWORKS[0]]
    for key, value in expected.items():
        actual = {"answers": answers, "ran": ran}.get(key, first.get(key))
        assert actual == value, key
    if policy.startswith("pause"):
        assert first["paused"] == [
            {"consent": "authorization", "url": "authorization"}.get(kind, kind)
        ]
    else:
        assert first["paused"] == []
    if first["raised"] is None and policy in ("observation", "decline", "pause-no"):
        assert first["events"], "the app is told of every request it did not answer"
