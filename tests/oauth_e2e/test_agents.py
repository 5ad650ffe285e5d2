"""OAuth run by the app, end to end: real agents, the dev gateway's OAuth server.

Both adapters (LangChain ``create_agent`` with GatewayToolkit, LlamaIndex
``FunctionAgent`` with GatewayToolSpec, shipped scripted models) serve two app users at
once: each first gets the consent observation and event with a link made for them,
their browser (the dev gateway's driver) signs in at the authorization server, approves
and lands on the app's callback route, and the same agent then runs with their own
token. Then what only the whole chain shows: a link opened by another person, a
replayed callback, an access token the server stopped taking (refresh), a tool that
needs a larger scope (step-up) and disconnect (revocation at the server).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from langchain.agents import create_agent
from langchain_core.messages import ToolMessage
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.workflow import Context

from mcp_gateway_tools import app_user
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.langchain import AUTHORIZATION_EVENT, GatewayToolkit
from mcp_gateway_tools.langchain.testing import scripted_chat_model
from mcp_gateway_tools.llamaindex import AuthorizationRequiredEvent, GatewayToolSpec
from mcp_gateway_tools.llamaindex.testing import scripted_llm
from tests.oauth.servers import USER_HEADER
from tests.oauth_e2e.conftest import OAuthE2E, oauth_app

pytestmark = pytest.mark.asyncio(loop_scope="module")

QUESTION = {"messages": [{"role": "user", "content": "What is on my calendar?"}]}


def named(tools: list[Any], suffix: str) -> Any:
    [tool] = [t for t in tools if (getattr(t, "name", None) or t.metadata.name).endswith(suffix)]
    return tool


SEEN: list[str] = []  # everything the runs streamed, to scan for tokens


async def langchain_turn(
    e2e: OAuthE2E, user: str, tool_suffix: str | None, args: dict[str, Any] | None = None
) -> tuple[ToolMessage, list[dict[str, Any]]]:
    """One agent run for ``user``: the tool message and the authorization events."""
    toolkit = GatewayToolkit(e2e.gateway, ["calendar"])
    with app_user(user):
        tools = await toolkit.aget_tools(refresh=True)
    tool = tools[0] if tool_suffix is None else named(tools, tool_suffix)
    agent = create_agent(scripted_chat_model((tool.name, args or {})), tools)
    config: Any = {"configurable": {"app_user": user}}
    events: list[dict[str, Any]] = []
    messages: list[ToolMessage] = []
    async for event in agent.astream_events(QUESTION, config=config, version="v2"):
        SEEN.append(repr(event))
        if event["event"] == "on_custom_event" and event["name"] == AUTHORIZATION_EVENT:
            events.append(event["data"])
        if event["event"] == "on_tool_end":
            messages.append(event["data"]["output"])
    [message] = messages
    return message, events


async def test_langchain_agents_serve_two_app_users_at_once(
    e2e: OAuthE2E, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    SEEN.clear()

    async def user_flow(user: str, person: str) -> tuple[str, dict[str, Any]]:
        asked, events = await langchain_turn(e2e, user, None)
        assert asked.artifact["type"] == "authorization_required"
        link = asked.artifact["authorization_urls"]["calendar"]
        assert link in asked.text
        assert [e["authorization_urls"]["calendar"] for e in events] == [link]
        browser = await e2e.consent(link, person, app_user=user)
        assert browser.approved
        assert browser.status == 200, browser.text
        done, _ = await langchain_turn(e2e, user, "calendar_whoami")
        assert done.status == "success", done.text
        return link, done.artifact["structured_content"]

    (link_a, seen_a), (link_b, seen_b) = await asyncio.gather(
        user_flow("lc-alice", "alice"), user_flow("lc-bob", "bob")
    )
    assert link_a != link_b
    assert seen_a["user"] == "alice@example.com"
    assert seen_b["user"] == "bob@example.com"
    granted = {user for user, server, _ in e2e.dev.oauth_grants() if server == "calendar"}
    assert {"alice@example.com", "bob@example.com"} <= granted
    # No token in any message, artifact, event or log line of the whole chain.
    tokens = await e2e.secrets_of("lc-alice") + await e2e.secrets_of("lc-bob")
    seen = "\n".join(SEEN) + caplog.text
    assert link_a in seen, "the scan reads what the runs streamed (their links are there)"
    assert [t for t in tokens if t in seen] == []


async def llamaindex_turn(
    e2e: OAuthE2E, user: str, tool_suffix: str | None
) -> tuple[Any, list[AuthorizationRequiredEvent]]:
    with app_user(user):
        tools = await GatewayToolSpec(e2e.gateway, ["calendar"]).to_tool_list_async()
    tool = tools[0] if tool_suffix is None else named(tools, tool_suffix)
    agent = FunctionAgent(tools=tools, llm=scripted_llm([(tool.metadata.name or "", {})]))
    ctx = Context(agent)
    await ctx.store.set("app_user", user)
    handler = agent.run("What is on my calendar?", ctx=ctx)
    results: list[Any] = []
    events: list[AuthorizationRequiredEvent] = []
    async for event in handler.stream_events():
        SEEN.append(repr(event))
        if isinstance(event, ToolCallResult):
            results.append(event.tool_output)
        if isinstance(event, AuthorizationRequiredEvent):
            events.append(event)
    await handler
    [output] = results
    return output, events


async def test_llamaindex_agents_serve_two_app_users_at_once(e2e: OAuthE2E) -> None:
    async def user_flow(user: str, person: str) -> dict[str, Any]:
        asked, events = await llamaindex_turn(e2e, user, None)
        assert asked.raw_output["type"] == "authorization_required"
        link = asked.raw_output["authorization_urls"]["calendar"]
        assert link in asked.content
        assert [e.authorization_urls["calendar"] for e in events] == [link]
        browser = await e2e.consent(link, person, app_user=user)
        assert browser.status == 200, browser.text
        done, _ = await llamaindex_turn(e2e, user, "calendar_whoami")
        assert not done.is_error, done.content
        return dict(done.raw_output)

    SEEN.clear()
    carol, dave = await asyncio.gather(
        user_flow("li-carol", "carol@example.com"), user_flow("li-dave", "dave@example.com")
    )
    assert carol["user"] == "carol@example.com"
    assert dave["user"] == "dave@example.com"
    tokens = await e2e.secrets_of("li-carol") + await e2e.secrets_of("li-dave")
    assert [t for t in tokens if t in "\n".join(SEEN)] == []


async def test_a_link_opened_by_another_person_or_replayed_stores_nothing(
    e2e: OAuthE2E,
) -> None:
    asked, _ = await langchain_turn(e2e, "lc-erin", None)
    link = asked.artifact["authorization_urls"]["calendar"]
    # Frank opens Erin's link: he signs in as himself, and his app session is his.
    stolen = await e2e.consent(link, "frank@example.com", app_user="lc-frank")
    assert stolen.approved  # the authorization server did its part...
    assert stolen.status == 400  # ...the app's callback refuses a state issued to Erin
    for user in ("lc-erin", "lc-frank"):
        again, _ = await langchain_turn(e2e, user, None)
        assert again.artifact["type"] == "authorization_required"

    asked, _ = await langchain_turn(e2e, "lc-erin", None)
    fresh = asked.artifact["authorization_urls"]["calendar"]
    assert fresh != link, "the refused state is spent"
    done = await e2e.consent(fresh, "erin@example.com", app_user="lc-erin")
    assert done.status == 200
    assert done.callback_url is not None
    async with httpx2.AsyncClient() as browser:  # the same callback once more
        replay = await browser.get(done.callback_url, headers={USER_HEADER: "lc-erin"})
    assert replay.status_code == 400
    ok, _ = await langchain_turn(e2e, "lc-erin", "calendar_whoami")
    assert ok.artifact["structured_content"]["user"] == "erin@example.com"


async def test_refresh_step_up_and_disconnect_through_an_agent(mcp_oauth_dev: DevGateway) -> None:
    # A new app: its first link asks for the 401 challenge's scope (calendar.read). (An
    # app that discovered the server before asks for all of scopes_supported: the
    # discovery cache keeps no challenge scope.)
    async with oauth_app(mcp_oauth_dev) as e2e:
        await refresh_step_up_and_disconnect(e2e)


async def refresh_step_up_and_disconnect(e2e: OAuthE2E) -> None:
    user, person = "lc-gina", "gina@example.com"
    asked, _ = await langchain_turn(e2e, user, None)
    await e2e.consent(asked.artifact["authorization_urls"]["calendar"], person, app_user=user)
    first, _ = await langchain_turn(e2e, user, "calendar_whoami")
    before = first.artifact["structured_content"]
    assert before["scopes"] == ["calendar.read"]

    # The server stops taking the access token: the library refreshes (rotation) once.
    e2e.dev.expire_access_token(person, "calendar")
    after, _ = await langchain_turn(e2e, user, "calendar_whoami")
    assert after.status == "success", after.text
    assert after.artifact["structured_content"]["token_id"] != before["token_id"]

    # create_event needs calendar.write: a 403 insufficient_scope becomes a new link.
    event = {"title": "Retro", "start": "2026-12-07T15:00"}
    more, events = await langchain_turn(e2e, user, "create_event", event)
    assert more.artifact["type"] == "authorization_required"
    link = more.artifact["authorization_urls"]["calendar"]
    assert set(parse_qs(urlsplit(link).query)["scope"][0].split()) >= {
        "calendar.read",
        "calendar.write",
    }
    assert events
    assert (await e2e.consent(link, person, app_user=user)).status == 200
    made, _ = await langchain_turn(e2e, user, "create_event", event)
    assert made.status == "success", made.text
    assert made.artifact["structured_content"]["owner"] == person

    # Disconnect: revoked at the authorization server, deleted from the store.
    assert await e2e.gateway.disconnect("calendar", user=user)
    live = [scopes for who, server, scopes in e2e.dev.oauth_grants() if who == person]
    assert all("calendar.write" not in scopes for scopes in live)
    gone, _ = await langchain_turn(e2e, user, None)
    assert gone.artifact["type"] == "authorization_required"
