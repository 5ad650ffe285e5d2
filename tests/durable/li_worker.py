"""One process of a durable LlamaIndex workflow: ``start`` pauses it, ``resume`` ends it.

Run as ``python -m tests.durable.li_worker PHASE STATE_FILE GATEWAY_URL``; the user's
current token comes in the environment (``MGT_USER_TOKEN``). ``start`` runs a
``FunctionAgent`` until its tool waits for consent, then writes what a durable app
keeps: ``ctx.to_dict()`` and the waiting event (neither holds a token). ``resume``
restores the Context in a fresh process, binds the reference to the user's current
token, answers the wait as soon as the consent works, and prints the tool results.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.llms import ChatMessage
from llama_index.core.memory import ChatMemoryBuffer
from llama_index.core.workflow import Context

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.llamaindex import (
    AuthorizationRequiredEvent,
    GatewayToolSpec,
    TokenReference,
    bind_token_reference,
    complete_when_authorized,
)
from mcp_gateway_tools.llamaindex.testing import scripted_llm

QUESTION = "Which mailbox am I connected to? (durable-workflow marker)"
SESSION = "session-of-alice"


def build(gateway: Gateway) -> FunctionAgent:
    spec = GatewayToolSpec(gateway, ["mail"], on_authorization_required="wait")
    llm = scripted_llm([("authorize_mail", {})], [("mail_whoami", {})])
    return FunctionAgent(tool_retriever=spec.as_retriever(), llm=llm)


async def start(agent: FunctionAgent, state_file: Path) -> dict[str, Any]:
    ctx = Context(agent)
    await ctx.store.set("user_token", TokenReference(ref=SESSION))
    handler = agent.run(QUESTION, ctx=ctx)
    async for ev in handler.stream_events():
        if isinstance(ev, AuthorizationRequiredEvent) and ev.waiting:
            # LlamaIndex skips the agent's memory in to_dict() (it warns so): a durable
            # app keeps it beside the Context and puts it back after the restore.
            memory = await handler.ctx.store.get("memory")
            saved = {
                "ctx": handler.ctx.to_dict(),
                "memory": [m.model_dump(mode="json") for m in memory.get_all()],
                "event": ev.model_dump(mode="json"),
            }
            await handler.cancel_run()
            await asyncio.to_thread(state_file.write_text, json.dumps(saved))
            return {"waiting": True, "server": ev.server}
    await handler
    return {"waiting": False}


async def resume(gateway: Gateway, agent: FunctionAgent, state_file: Path) -> dict[str, Any]:
    saved = json.loads(await asyncio.to_thread(state_file.read_text))
    ctx = Context.from_dict(agent, saved["ctx"])
    event = AuthorizationRequiredEvent.model_validate(saved["event"])
    handler = agent.run(ctx=ctx)
    # The memory goes back into the running Context before the wait is answered (the
    # paused tool cannot finish earlier, so nothing reads it before).
    history = [ChatMessage.model_validate(m) for m in saved["memory"]]
    await handler.ctx.store.set("memory", ChatMemoryBuffer.from_defaults(chat_history=history))
    await restored_step_waits_again(handler.ctx, saved["ctx"])
    answering = asyncio.create_task(
        complete_when_authorized(handler.ctx, event, gateway=gateway, timeout=120)
    )
    outputs = [
        e.tool_output async for e in handler.stream_events() if isinstance(e, ToolCallResult)
    ]
    answer = await handler
    await answering
    return {"tools": [o.raw_output for o in outputs], "answer": str(answer)}


async def restored_step_waits_again(ctx: Context, before: dict[str, Any]) -> None:
    """Wait until the restored run has re-run the paused step and it waits again.

    llama-index-workflows 2.26 re-delivers a restored waiter's step on start; an answer
    sent before that re-registration resolves the stale waiter *and* the re-run, so the
    tool would run twice. Polled on the run's own snapshot (a step invocation started
    since the restore, none in progress); bounded by the test's timeout.
    """
    started = before["invocation_seq"]
    while True:
        now = ctx.to_dict()
        if now["invocation_seq"] > started and not now["workers"]["call_tool"]["in_progress"]:
            return
        await asyncio.sleep(0.01)


async def main(phase: str, state_file: str, url: str) -> dict[str, Any]:
    async with Gateway(url) as gateway:
        agent = build(gateway)
        # Each process binds the reference to the user's current token for its request.
        with bind_token_reference(SESSION, os.environ["MGT_USER_TOKEN"]):
            if phase == "start":
                return await start(agent, Path(state_file))
            return await resume(gateway, agent, Path(state_file))


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(*sys.argv[1:4]))))
