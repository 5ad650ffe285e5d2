"""One process of a durable LangGraph run: ``start`` pauses it, ``resume`` finishes it.

Run as ``python -m tests.durable.lg_worker PHASE BACKEND WHERE GATEWAY_URL THREAD``;
the user's token comes in the environment (``MGT_USER_TOKEN``), never on the command
line. Prints one JSON line: the pending interrupts (start) or the finished run (resume).
Both phases build the same agent from scratch: nothing is shared but the checkpointer.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import HumanMessage, ToolMessage

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.langchain import (
    GatewayToolkit,
    GatewayToolsMiddleware,
    aresume_when_authorized,
)
from mcp_gateway_tools.langchain.testing import scripted_chat_model

QUESTION = "Which mailbox am I connected to? (durable-run marker)"


@dataclass
class Context:
    user_token: str | None = None


@asynccontextmanager
async def checkpointer(backend: str, where: str) -> AsyncIterator[Any]:
    if backend == "sqlite":
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        async with AsyncSqliteSaver.from_conn_string(where) as saver:
            yield saver
    else:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        async with AsyncPostgresSaver.from_conn_string(where) as saver:
            await saver.setup()
            yield saver


async def main(phase: str, backend: str, where: str, url: str, thread: str) -> dict[str, Any]:
    context = Context(user_token=os.environ["MGT_USER_TOKEN"])
    config = {"configurable": {"thread_id": thread}}
    async with Gateway(url) as gateway, checkpointer(backend, where) as saver:
        toolkit = GatewayToolkit(gateway, ["mail"], on_authorization_required="interrupt")
        agent = create_agent(
            scripted_chat_model(("authorize_mail", {}), ("mail_whoami", {})),
            tools=[],
            middleware=[GatewayToolsMiddleware(toolkit)],
            checkpointer=saver,
            context_schema=Context,
        )
        if phase == "start":
            result = await agent.ainvoke(
                {"messages": [HumanMessage(QUESTION)]}, config, context=context
            )
            return {"interrupts": [i.value for i in result.get("__interrupt__", ())]}
        # Another process: read the pause from the checkpoint, wait for the consent to
        # work (as the resuming request's user), resume.
        state = await agent.aget_state(config)
        result = await aresume_when_authorized(
            agent,
            list(state.interrupts),
            gateway=gateway,
            config=config,
            context=context,
            timeout=120,
        )
        tools = [m.artifact for m in result["messages"] if isinstance(m, ToolMessage)]
        return {
            "tools": tools,
            "answer": result["messages"][-1].text,
            "paused": "__interrupt__" in result,
        }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(*sys.argv[1:6]))))
