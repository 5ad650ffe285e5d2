"""The LangGraph-server binding, in process: ``langgraph_sdk.Auth`` handler -> tools.

The same auth handler the server runs (:mod:`.auth`) authenticates two users; their
runs get the server's user object (``configurable["langgraph_auth_user"]``, as
``langgraph-api`` passes it) and each tool call reaches the gateway as that user.
"""

from __future__ import annotations

import asyncio
from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph_sdk.auth.types import StudioUser

from mcp_gateway_tools import Gateway, forget_user_token
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.langchain import GatewayToolkit, GatewayToolsMiddleware
from mcp_gateway_tools.langchain.testing import scripted_chat_model
from tests.langgraph_server.auth import auth


async def server_user(authorization: str) -> Any:
    """What langgraph-api does per request: run the auth handler, wrap the identity."""
    assert auth._authenticate_handler is not None
    user = await auth._authenticate_handler(authorization)  # type: ignore[call-arg]
    return StudioUser(user["identity"])  # an object with .identity, as the server passes


async def test_each_run_acts_for_its_authenticated_user_and_stores_no_token(
    dev: DevGateway,
) -> None:
    alice, bob = dev.tokens.user("alice"), dev.tokens.user("bob")
    await dev.aconsent("alice", "mail")
    await dev.aconsent("bob", "mail")
    saver = InMemorySaver()
    async with Gateway(dev.base_url) as gateway:
        agent = create_agent(
            scripted_chat_model(("mail_whoami", {})),
            tools=[],
            middleware=[GatewayToolsMiddleware(GatewayToolkit(gateway, ["mail"]))],
            checkpointer=saver,
        )

        async def run(token: str, thread: str) -> str:
            user = await server_user(f"Bearer {token}")
            config = {"configurable": {"thread_id": thread, "langgraph_auth_user": user}}
            out = await agent.ainvoke({"messages": [HumanMessage("who?")]}, config)
            (message,) = [m for m in out["messages"] if isinstance(m, ToolMessage)]
            return str(message.artifact["structured_content"]["user"])

        users = await asyncio.gather(run(alice, "a"), run(bob, "b"), run(alice, "a2"))
    assert users == ["alice@example.com", "bob@example.com", "alice@example.com"]
    stored = repr(list(saver.storage.items())) + repr(list(saver.writes.items()))
    assert "alice@example.com" in stored  # the scan reads the checkpoints...
    assert alice not in stored  # ...and they hold no token
    assert bob not in stored
    for token in (alice, bob):
        forget_user_token((await server_user(f"Bearer {token}")).identity)
