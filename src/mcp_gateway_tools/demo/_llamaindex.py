"""Scenario C with a LlamaIndex ``FunctionAgent`` on a virtual server (hybrid credentials).

The ``workspace`` virtual server mixes the knowledge base (shared credential) and the
user's mailbox (per-user OAuth). The mailbox asks for consent in the middle of the
session, on ``tools/call``; the tool writes an ``AuthorizationRequiredEvent`` to the
workflow stream and, with the ``"wait"`` policy, waits for the app's
``AuthorizationCompletedEvent``, then retries: one agent run, no restart.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.workflow import Context

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.llamaindex import (
    AuthorizationCompletedEvent,
    AuthorizationRequiredEvent,
    GatewayToolSpec,
)

from ._consent import complete_consent
from ._models import llamaindex_llm
from ._report import Report

__all__ = ["scenario_c"]

SYSTEM_PROMPT = (
    "You are a helpful workplace assistant. Use the tools. If a tool says the user must "
    "authorize a service, give them the exact link."
)


def _raw(result: ToolCallResult) -> Any:
    return result.tool_output.raw_output


async def scenario_c(dev: DevGateway, report: Report, real: str | None, interactive: bool) -> None:
    report.section("Scenario C: LlamaIndex FunctionAgent on a virtual server (hybrid)")
    report.say(
        "The 'workspace' virtual server mixes the Knowledge Base (shared credential) and "
        "Mail (each user's own OAuth). Alice has not connected her Mail yet."
    )
    alice = dev.tokens.user("alice")
    async with Gateway(dev.base_url) as gateway:
        spec = GatewayToolSpec(
            gateway, ["workspace"], on_authorization_required="wait", wait_timeout=300
        )
        tools = await spec.to_tool_list_async(token=alice)
        report.say(f"Loaded {len(tools)} tools: {', '.join(t.metadata.name or '' for t in tools)}")
        llm = llamaindex_llm(
            [[("search_docs", {"query": "expense"})], [("list_messages", {"limit": 2})]], real
        )
        agent = FunctionAgent(tools=list(tools), llm=llm, system_prompt=SYSTEM_PROMPT)
        ctx = Context(agent)
        await ctx.store.set("user_token", alice)  # per request: this run acts for Alice
        question = "Find our expense policy in the knowledge base, then list my latest 2 emails."
        report.say(f"Alice: {question}")
        handler = agent.run(question, ctx=ctx)
        results: list[ToolCallResult] = []
        requests: list[AuthorizationRequiredEvent] = []
        granted = False
        async for event in handler.stream_events():
            if isinstance(event, AuthorizationRequiredEvent):
                requests.append(event)
                link = event.authorization_urls.get("mail", "")
                report.say(
                    f"[app] stream event AuthorizationRequiredEvent(tool={event.tool_name}, "
                    f"waiting={event.waiting})"
                )
                label = event.server_names.get("mail", "mail")
                report.link(f"[app] shows a button 'Connect {label}' linking to:", link)
                if event.waiting:
                    granted = await complete_consent(
                        dev, report, "alice", "mail", link, interactive
                    )
                    handler.ctx.send_event(
                        AuthorizationCompletedEvent(request_id=event.request_id, approved=granted)
                    )
            elif isinstance(event, ToolCallResult):
                results.append(event)
                report.detail(
                    f"tool {event.tool_name} -> is_error={event.tool_output.is_error}",
                    event.tool_output.content,
                    limit=4,
                )
        response = await handler
        report.detail("agent answer:", str(response), limit=4)

    by_name = {r.tool_name: r for r in results}
    docs = by_name.get("search_docs")
    report.check(
        docs is not None and "Expense policy" in docs.tool_output.content,
        "the shared Knowledge Base answered with no consent asked",
    )
    link = requests[0].authorization_urls.get("mail", "") if requests else ""
    parts = urlsplit(link)
    report.check(
        len(requests) == 1
        and requests[0].waiting
        and parts.scheme in ("http", "https")
        and bool(parts.netloc),
        "Mail asked for consent mid-session: one stream event with an http(s) link",
    )
    report.check(granted, "Alice's consent stored a grant at the gateway")
    mail = by_name.get("list_messages")
    raw = _raw(mail) if mail is not None else None
    report.check(
        mail is not None
        and not mail.tool_output.is_error
        and isinstance(raw, dict)
        and raw.get("owner") == "alice@example.com",
        "the waiting tool retried after consent and read Alice's own mailbox",
    )
    report.check(
        "Q3 roadmap review" in str(response),
        "the agent's final answer uses the mailbox result",
    )
