"""The interrupt -> consent -> resume flow, end to end, offline, on the dev gateway.

Run it with ``python examples/langchain_authorization.py``. It starts the local dev
gateway, builds a LangChain agent whose gateway tools pause the run when Alice must
authorize Mail, "clicks" the consent link for her (the dev gateway's consent helper
does exactly what a browser does), resumes the run, and prints her inbox.

The shipped scripted chat model (``mcp_gateway_tools.langchain.testing``) stands in
for a real one, so the example needs no API key. With a real model, replace
``scripted_chat_model(...)`` by e.g. ``init_chat_model("openai:gpt-4.1")`` (needs
``pip install langchain-openai`` and ``OPENAI_API_KEY``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from langchain.agents import create_agent
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.langchain import GatewayToolkit
from mcp_gateway_tools.langchain.testing import scripted_chat_model


@dataclass
class UserContext:
    user_token: str


async def main() -> str:
    async with DevGateway() as dev, Gateway(dev.base_url) as gateway:
        alice = dev.tokens.user("alice")
        toolkit = GatewayToolkit(gateway, ["workspace"], on_authorization_required="interrupt")
        agent = create_agent(
            scripted_chat_model(("list_messages", {})),  # calls the tool, then answers
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
