"""Scenarios A and B with LangChain ``create_agent``: service token, then two users.

Only the package's public API is used here, as an application would use it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.langchain import AUTHORIZATION_EVENT, GatewayToolkit

from ._consent import complete_consent
from ._models import langchain_model
from ._report import Report

__all__ = ["UserContext", "scenario_a", "scenario_b"]

SYSTEM_PROMPT = (
    "You are a helpful assistant. Use the tools to answer. If a tool says the user must "
    "authorize a service, give the user the exact link(s) and ask them to open it."
)


@dataclass
class UserContext:
    """The per-request context the app passes to the agent: whose token to use."""

    user_token: str


def _tool_messages(messages: list[Any]) -> list[ToolMessage]:
    return [m for m in messages if isinstance(m, ToolMessage)]


def _answer(messages: list[Any]) -> str:
    finals = [m for m in messages if isinstance(m, AIMessage) and not m.tool_calls]
    return finals[-1].text if finals else ""


def _show_tools(report: Report, messages: list[ToolMessage]) -> None:
    for message in messages:
        report.detail(f"tool {message.name} -> status={message.status}", message.text, limit=4)


def _is_http_link(link: str) -> bool:
    parts = urlsplit(link)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


async def scenario_a(dev: DevGateway, report: Report, real: str | None) -> None:
    report.section("Scenario A: LangChain agent, service token (Virtual Account)")
    report.say(
        "One static service token for the whole app; the gateway injects the shared "
        "downstream credentials of the knowledge base."
    )
    async with Gateway(dev.base_url, token=dev.tokens.service) as gateway:
        tools = await GatewayToolkit(gateway, ["knowledge", "search"]).aget_tools()
        report.say(f"Loaded {len(tools)} tools: {', '.join(t.name for t in tools)}")
        model = langchain_model(
            [("search_docs", {"query": "vpn"}), ("get_article", {"article_id": "kb-3"})], real
        )
        agent = create_agent(model, tools, system_prompt=SYSTEM_PROMPT)
        question = (
            "How do I set up the VPN? Search the knowledge base for 'vpn', then read the "
            "matching article."
        )
        report.say(f"User: {question}")
        state = await agent.ainvoke({"messages": [HumanMessage(question)]})
        messages = _tool_messages(state["messages"])
        _show_tools(report, messages)
        report.detail("agent answer:", _answer(state["messages"]), limit=4)
        by_name = {m.name: m for m in messages}
        found = by_name.get("search_docs")
        report.check(
            found is not None and found.status == "success" and "kb-3: VPN setup" in found.text,
            "search_docs found the VPN article through the gateway",
        )
        article = by_name.get("get_article")
        structured = (
            article.artifact.get("structured_content")
            if article is not None and isinstance(article.artifact, dict)
            else None
        )
        report.check(
            isinstance(structured, dict) and structured.get("title") == "VPN setup",
            "get_article returned structured content (artifact, as langchain.mcp shapes it)",
        )
        opened = gateway.sessions_opened()
        report.check(
            opened <= 2,
            f"sessions reused: {opened} opened (one per server) for listing and "
            f"{len(messages)} calls",
            f"{opened} sessions",
        )


async def _run_user(
    agent: Any, token: str, question: str
) -> tuple[list[Any], list[dict[str, Any]]]:
    """Run the agent for one user; return its messages and the authorization events."""
    events: list[dict[str, Any]] = []
    output: dict[str, Any] = {}
    async for event in agent.astream_events(
        {"messages": [HumanMessage(question)]},
        context=UserContext(user_token=token),
        version="v2",
    ):
        if event["event"] == "on_custom_event" and event["name"] == AUTHORIZATION_EVENT:
            events.append(dict(event["data"]))
        elif event["event"] == "on_chain_end" and not event.get("parent_ids"):
            output = event["data"]["output"]
    return list(output.get("messages", [])), events


def _owner(message: ToolMessage | None) -> Any:
    if message is None or not isinstance(message.artifact, dict):
        return None
    structured = message.artifact.get("structured_content")
    return structured.get("owner") if isinstance(structured, dict) else None


async def scenario_b(dev: DevGateway, report: Report, real: str | None, interactive: bool) -> None:
    report.section("Scenario B: two users through the same LangChain tools (per-user OAuth)")
    report.say(
        "No service token: each request carries its user's own token. Alice connected her "
        "Calendar earlier; Bob never did."
    )
    alice, bob = dev.tokens.user("alice"), dev.tokens.user("bob")
    await dev.aconsent("alice", "calendar")
    async with Gateway(dev.base_url) as gateway:
        tools = await GatewayToolkit(gateway, ["calendar"]).aget_tools(token=alice)
        report.say(f"One tool list for every user: {', '.join(t.name for t in tools)}")
        model = langchain_model([("list_events", {})], real)
        agent = create_agent(model, tools, system_prompt=SYSTEM_PROMPT, context_schema=UserContext)
        question = "What is on my calendar? Use list_events."
        report.say(f"Alice and Bob both ask, at the same time: {question}")
        (a_msgs, a_events), (b_msgs, b_events) = await asyncio.gather(
            _run_user(agent, alice, question), _run_user(agent, bob, question)
        )

        report.say("Alice:")
        a_tool = next(iter(_tool_messages(a_msgs)), None)
        _show_tools(report, _tool_messages(a_msgs))
        report.check(
            _owner(a_tool) == "alice@example.com" and not a_events,
            "Alice sees her own calendar, no authorization needed",
        )

        report.say("Bob:")
        b_tool = next(iter(_tool_messages(b_msgs)), None)
        _show_tools(report, _tool_messages(b_msgs))
        artifact = b_tool.artifact if b_tool is not None else None
        report.check(
            isinstance(artifact, dict) and artifact.get("type") == "authorization_required",
            "Bob's tool call returned the authorization observation (not an error, no crash)",
        )
        report.check(
            b_tool is not None and "alice" not in b_tool.text.lower(),
            "nothing of Alice's reached Bob",
        )
        link = b_events[0]["authorization_urls"].get("calendar", "") if b_events else ""
        report.say(f"[app] event {AUTHORIZATION_EVENT!r} received for Bob")
        if b_events:
            names = b_events[0]["server_names"]
            report.link(f"[app] shows a button 'Connect {names.get('calendar')}' linking to:", link)
        report.check(
            len(b_events) == 1 and _is_http_link(link),
            "the app got the link from the event, as an absolute http(s) URL",
        )
        report.check(
            bool(link) and link in _answer(b_msgs),
            "the model relayed the same link in its answer",
        )
        if not link:
            return
        granted = await complete_consent(dev, report, "bob", "calendar", link, interactive)
        report.check(granted, "Bob's consent stored a grant at the gateway")

        report.say("Bob asks again (same tools, same agent, nothing changed on the client):")
        b_msgs, b_events = await _run_user(agent, bob, question)
        retry = next(iter(_tool_messages(b_msgs)), None)
        _show_tools(report, _tool_messages(b_msgs))
        report.check(
            _owner(retry) == "bob@example.com" and not b_events,
            "the retry succeeded with Bob's own calendar",
        )
        report.check(
            retry is not None and "Budget sync" in retry.text and "Roadmap" not in retry.text,
            "Bob sees his events and none of Alice's",
        )
