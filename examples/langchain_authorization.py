"""The interrupt -> consent -> resume flow, end to end, offline, on the dev gateway.

Run it with ``python examples/langchain_authorization.py``. It starts the local dev
gateway, builds a LangChain agent whose gateway tools pause the run when Alice must
authorize Mail, "clicks" the consent link for her (the dev gateway's consent helper
does exactly what a browser does), resumes the run, and prints her inbox.

A scripted chat model stands in for a real one so the example needs no API key; with
a real model, replace ``OfflineModel()`` by e.g. ``init_chat_model("openai:gpt-4.1")``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain.agents import create_agent
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.langchain import GatewayToolkit


@dataclass
class UserContext:
    user_token: str


class OfflineModel(GenericFakeChatModel):
    """Calls ``list_messages`` once, then reports what the tool said."""

    messages: Any = iter(())

    def bind_tools(self, tools: Any, **kwargs: Any) -> OfflineModel:
        return self

    def _generate(self, messages: Sequence[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        last = messages[-1]
        if isinstance(last, ToolMessage):
            reply = AIMessage(content=f"Here is what I found:\n{last.text}")
        else:
            call = {"name": "list_messages", "args": {}, "id": "call-1", "type": "tool_call"}
            reply = AIMessage(content="", tool_calls=[call])
        return ChatResult(generations=[ChatGeneration(message=reply)])


async def main() -> str:
    async with DevGateway() as dev, Gateway(dev.base_url) as gateway:
        alice = dev.tokens.user("alice")
        toolkit = GatewayToolkit(gateway, ["workspace"], on_authorization_required="interrupt")
        agent = create_agent(
            OfflineModel(),
            await toolkit.aget_tools(token=alice),
            context_schema=UserContext,
            checkpointer=InMemorySaver(),
        )
        config: Any = {"configurable": {"thread_id": "alice-1"}}
        context = UserContext(user_token=alice)

        result = await agent.ainvoke(
            {"messages": [{"role": "user", "content": "What is in my inbox?"}]},
            config,
            context=context,
        )
        while "__interrupt__" in result:
            answers = {}
            for pending in result["__interrupt__"]:
                request = pending.value
                for server, url in request["authorization_urls"].items():
                    print(f"Please authorize {request['server_names'][server]}: {url}")
                    consent = await dev.aconsent("alice", server, link=url)  # the "click"
                    print(f"  -> {consent.outcome}")
                answers[pending.id] = True
            result = await agent.ainvoke(Command(resume=answers), config, context=context)
        answer: str = result["messages"][-1].text
        print(answer)
        return answer


if __name__ == "__main__":
    asyncio.run(main())
