"""LlamaIndex agent that pauses while the user authorizes their mailbox, then goes on.

Run it: ``python examples/llamaindex_human_in_the_loop.py``. It starts the local dev
gateway in-process, builds one agent for every user, and answers Alice's question
"what is in my inbox?": the mail tool needs her consent first, so the workflow writes
an ``AuthorizationRequiredEvent`` and waits; this script plays the user (it completes
the consent page over HTTP, as a browser would) and sends the
``AuthorizationCompletedEvent``; the tool retries and the agent answers.

The shipped scripted LLM (``scripted_llm`` from ``mcp_gateway_tools.llamaindex.testing``)
stands in for a real one; swap in any function-calling LLM, e.g. LlamaIndex
``OpenAI(model="gpt-4.1")`` (needs ``pip install llama-index-llms-openai``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.workflow import Context

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.llamaindex import (
    AuthorizationCompletedEvent,
    AuthorizationRequiredEvent,
    GatewayToolSpec,
)
from mcp_gateway_tools.llamaindex.testing import scripted_llm


# Run one request as the user of ``token``; let the user authorize when asked.
# (docs/llamaindex.md shows this function verbatim; a test keeps the two identical.)
async def handle_and_wait(
    agent: FunctionAgent,
    question: str,
    token: str,
    ask_user: Callable[[AuthorizationRequiredEvent], Awaitable[bool]],
) -> str:
    ctx = Context(agent)
    await ctx.store.set("user_token", token)
    handler = agent.run(question, ctx=ctx)
    async for event in handler.stream_events():
        if isinstance(event, AuthorizationRequiredEvent) and event.waiting:
            approved = await ask_user(event)  # show the links, wait for the user to return
            handler.ctx.send_event(
                AuthorizationCompletedEvent(request_id=event.request_id, approved=approved)
            )
    return str(await handler)


async def run(dev: DevGateway) -> tuple[str, list[str]]:
    """The demo against a running dev gateway; returns the answer and what was shown."""
    shown: list[str] = []
    alice = dev.tokens.user("alice")

    async def ask_user(event: AuthorizationRequiredEvent) -> bool:
        for server, url in event.authorization_urls.items():
            shown.append(f"Connect {event.server_names.get(server, server)}: {url}")
            await dev.aconsent("alice", server, link=url)  # the user clicks Approve
        return True

    async with Gateway(dev.base_url) as gateway:
        spec = GatewayToolSpec(gateway, servers=["workspace"], on_authorization_required="wait")
        tools = await spec.to_tool_list_async(token=alice)
        agent = FunctionAgent(tools=tools, llm=scripted_llm([("list_messages", {"limit": 2})]))
        answer = await handle_and_wait(agent, "What is in my inbox?", alice, ask_user)
    return answer, shown


async def main() -> None:
    async with DevGateway() as dev:
        answer, shown = await run(dev)
    for line in shown:
        print(line)
    print(answer)


if __name__ == "__main__":
    asyncio.run(main())
