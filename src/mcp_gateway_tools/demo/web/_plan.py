"""The web demo's scripted model: picks tools from the user's words, answers readably.

It is not an LLM and the page says so. A plan reads the conversation (not a counter),
so the one model serves every user's run at once, on any worker; it answers from the
tools' structured results, so Bob sees a list of his messages rather than raw JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from ...langchain.testing import ScriptedChatModel, since_last_human, tool_call

__all__ = ["HELP", "scripted_web_model", "web_plan"]

HELP = (
    "I am the demo's scripted model, not an LLM: I understand a few requests. Try "
    "“list my mail”, “what is on my calendar?” or “send a mail to alice”."
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PEOPLE = ("alice", "bob", "carol", "dave")


def _recipient(text: str) -> str:
    found = _EMAIL.search(text)
    if found:
        return found.group(0)
    for name in _PEOPLE:
        if re.search(rf"\b{name}\b", text):
            return f"{name}@example.com"
    return "carol@example.com"


def calls_for(text: str) -> list[tuple[str, dict[str, Any]]]:
    """The tool calls the scripted model makes for one request (none: it explains)."""
    words = text.lower()
    if "send" in words:
        return [
            (
                "send_message",
                {"to": _recipient(words), "subject": "Hello", "body": text.strip()[:500]},
            )
        ]
    if any(w in words for w in ("mail", "inbox", "message")):
        return [("list_messages", {})]
    if any(w in words for w in ("calendar", "event", "meeting")):
        return [("list_events", {})]
    return []


def _structured(message: ToolMessage) -> Mapping[str, Any]:
    artifact = message.artifact if isinstance(message.artifact, Mapping) else {}
    content = artifact.get("structured_content")
    return content if isinstance(content, Mapping) else artifact


def _describe(message: ToolMessage) -> str:
    """One tool result in words; unknown shapes fall back to the tool's own text."""
    data = _structured(message)
    kind = data.get("type")
    if kind == "approval_rejected":
        return "Understood: I did not send it (you rejected the call)."
    if kind == "authorization_declined":
        return "Understood: not now. Ask again whenever you want to connect it."
    if kind == "authorization_required":
        return message.text
    if isinstance(data.get("messages"), list):
        lines = [f"Inbox of {data.get('owner')}:"]
        lines += [f"• {m.get('subject')} — from {m.get('from')}" for m in data["messages"]]
        return "\n".join(lines)
    if isinstance(data.get("events"), list):
        lines = [f"Calendar of {data.get('owner')}:"]
        lines += [
            f"• {e.get('start')} {e.get('title')} ({e.get('minutes')} min)" for e in data["events"]
        ]
        return "\n".join(lines)
    if data.get("sent") is True:
        return f"Sent from {data.get('from')} to {data.get('to')} (id {data.get('id')})."
    return message.text


def web_plan(messages: Sequence[BaseMessage]) -> AIMessage:
    """Call the tools the last request needs, one per turn, then describe the results."""
    humans = [m for m in messages if isinstance(m, HumanMessage)]
    calls = calls_for(humans[-1].text if humans else "")
    done = [m for m in since_last_human(messages) if isinstance(m, ToolMessage)]
    if len(done) < len(calls):
        name, args = calls[len(done)]
        return AIMessage(content="", tool_calls=[tool_call(name, args)])
    if not calls:
        return AIMessage(content=HELP)
    return AIMessage(content="\n\n".join(_describe(m) for m in done))


def scripted_web_model() -> ScriptedChatModel:
    """The scripted model; non-streaming, as it is driven through ``astream_events``."""
    return ScriptedChatModel(plan=web_plan, disable_streaming=True)
