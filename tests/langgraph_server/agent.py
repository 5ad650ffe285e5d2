"""The agent LangGraph's server runs (``langgraph.json``): gateway tools per request.

No token anywhere here: the server's custom auth (:mod:`.auth`) puts the authenticated
user's gateway token on the user object of each run, and the tools read it from there
(``runtime.server_info.user["user_token"]``) at each call.
"""

from __future__ import annotations

import os

from langchain.agents import create_agent

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.langchain import GatewayToolkit, GatewayToolsMiddleware
from mcp_gateway_tools.langchain.testing import scripted_chat_model

gateway = Gateway(os.environ["MGT_GATEWAY_URL"])  # per-user mode: no service token
toolkit = GatewayToolkit(gateway, ["mail"])

graph = create_agent(
    scripted_chat_model(("mail_whoami", {})),
    tools=[],
    middleware=[GatewayToolsMiddleware(toolkit)],
)
