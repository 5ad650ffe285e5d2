"""The one agent every user shares, and what it runs on: gateway, toolkit, checkpointer.

- ``GatewayToolkit(gateway, ["mail", "calendar"])`` with
  ``on_authorization_required="interrupt"`` (a user who must consent pauses, and the
  pause carries the links) and ``approval=["send_message"]`` paused by
  ``on_approval_required="interrupt"`` (sending mail waits for Approve / Reject);
- ``GatewayToolsMiddleware`` offers each request its user's tools;
- ``AsyncSqliteSaver`` keeps every thread, so any worker sharing the file can resume.

Two parties run OAuth here: the dev gateway holds each user's Mail grant (the app
sends the user's gateway token), while ``calendar`` is a standard OAuth-protected MCP
server for which this app is each user's OAuth client (``Server(..., oauth=OAuth())``,
grants in an encrypted ``sqlite_token_store`` shared by the workers, the signed-in user
bound as the app user per run).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from langchain.agents import create_agent
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from ... import Gateway, Server, app_user
from ...langchain import GatewayToolkit, GatewayToolsMiddleware
from ...oauth import EncryptedStore, OAuth, OAuthClient, sqlite_token_store
from ._claims import ResumeClaims
from ._events import APP_OAUTH
from ._plan import scripted_web_model
from ._runs import Conversations, UserContext
from ._settings import Settings

__all__ = ["SERVERS", "SYSTEM_PROMPT", "app_gateway", "conversations", "grant_store"]

log = logging.getLogger("mcp_gateway_tools.demo.web")

SERVERS = ["mail", "calendar"]
SYSTEM_PROMPT = (
    "You are a helpful assistant with the user's mail and calendar. Use the tools. If a "
    "tool says the user must authorize a service, say so briefly: the page shows a button."
)


def _model(name: str | None) -> Any:
    if name is None:
        return scripted_web_model()
    module = importlib.import_module("langchain_openai")
    return module.ChatOpenAI(model=name, temperature=0)


def grant_store(settings: Settings) -> EncryptedStore:
    """The app's OAuth grants (calendar): encrypted on disk, readable by every worker."""
    return sqlite_token_store(settings.grants_dir, key=settings.grants_key)


def app_gateway(settings: Settings, store: EncryptedStore) -> Gateway:
    """Mail through the dev gateway (its OAuth); calendar with OAuth run by this app."""
    return Gateway(
        settings.gateway_url,
        servers={name: Server(settings.calendar_url, oauth=OAuth()) for name in APP_OAUTH},
        oauth=OAuthClient(redirect_uri=settings.redirect_uri, store=store, client_name="Web demo"),
    )


@contextlib.asynccontextmanager
async def conversations(settings: Settings) -> AsyncIterator[Conversations]:
    """Everything one worker needs, opened for its lifetime."""
    async with (
        grant_store(settings) as store,
        app_gateway(settings, store) as gateway,
        AsyncSqliteSaver.from_conn_string(settings.db_path) as saver,
    ):
        await saver.setup()
        toolkit = GatewayToolkit(
            gateway,
            SERVERS,
            on_authorization_required="interrupt",
            approval=["send_message"],
            on_approval_required="interrupt",
        )
        agent = create_agent(
            _model(settings.model),
            tools=[],
            system_prompt=SYSTEM_PROMPT,
            middleware=[GatewayToolsMiddleware(toolkit)],
            checkpointer=saver,
            context_schema=UserContext,
        )
        # Listing once as any user who can makes the real tools known to everyone: a
        # user who has not consented is offered list_messages, and calling it asks.
        for user, token in settings.tokens.items():
            with app_user(user):
                await toolkit.atools_for(token)
        runs = Conversations(
            agent, gateway, settings.tokens, ResumeClaims(settings.db_path, settings.worker)
        )
        log.info("web demo worker %s ready", settings.worker)
        try:
            yield runs
        finally:
            await runs.aclose()
