# ruff: noqa: E501  (cell sources and markdown tables keep their own line lengths)
"""Cell sources of the notebooks (``build_notebooks.py`` writes and executes them).

Public API only: ``mcp_gateway_tools``, ``.langchain``, ``.llamaindex``, ``.notebook``
and ``.devgateway``; ``mcp_gateway_tools.langchain.testing`` / ``.llamaindex.testing`` stand in for an LLM.
"""

from __future__ import annotations

Cells = list[tuple[str, str]]

START_DEV = """
from mcp_gateway_tools.devgateway import DevGateway

dev = DevGateway().start()  # a real local gateway: HTTP, MCP, OAuth; loopback only
print("dev gateway:", dev.base_url)
"""

QUICKSTART: Cells = [
    (
        "md",
        """
# 01 · Quickstart: a service account (scenario A) with LangChain

The app holds **one static Virtual Account token**; the gateway injects the shared
downstream credentials. This notebook starts a local dev gateway, turns two of its MCP
servers into LangChain tools, calls one directly, then lets an agent use them.
Everything runs offline; replace the scripted model with a real one to see an LLM at work.
""",
    ),
    ("code", START_DEV),
    (
        "md",
        """
## Tools from the gateway

`Gateway(url, token=...)` takes the gateway's base URL (servers live at
`{url}/mcp/<name>/server`) and, in scenario A, the service token.
`GatewayToolkit` lists the servers and returns ordinary LangChain `BaseTool`s.
""",
    ),
    (
        "code",
        """
from mcp_gateway_tools import Gateway
from mcp_gateway_tools.langchain import GatewayToolkit

gateway = Gateway(dev.base_url, token=dev.tokens.service)  # in production: from a secret store
tools = await GatewayToolkit(gateway, servers=["knowledge", "search"]).aget_tools()
print([tool.name for tool in tools])
""",
    ),
    (
        "md",
        """
A tool call returns a `ToolMessage` shaped like `langchain.mcp`'s: content blocks for
the model, and the MCP structured content in `artifact`.
""",
    ),
    (
        "code",
        """
get_article = next(t for t in tools if t.name == "get_article")
message = await get_article.ainvoke(
    {"type": "tool_call", "id": "call-1", "name": "get_article", "args": {"article_id": "kb-3"}}
)
print(message.status, "|", message.text)
print("artifact:", message.artifact)
""",
    ),
    ("md", "## An agent"),
    (
        "code",
        """
from langchain.agents import create_agent
from mcp_gateway_tools.langchain.testing import scripted_chat_model

# Any tool-calling chat model works, e.g. init_chat_model("openai:gpt-4.1-mini").
model = scripted_chat_model(("search_docs", {"query": "vpn"}), ("get_article", {"article_id": "kb-3"}))
agent = create_agent(model, tools)
result = await agent.ainvoke({"messages": [{"role": "user", "content": "How do I set up the VPN?"}]})
for m in result["messages"]:
    print(f"{type(m).__name__:>12}: {(m.text or str(getattr(m, 'tool_calls', '')))[:90]}")
""",
    ),
    (
        "code",
        """
await gateway.aclose()
dev.stop()
""",
    ),
]

PER_USER: Cells = [
    (
        "md",
        """
# 02 · Per-user tokens and consent (scenario B)

One agent, many users: the tools hold **no identity**; each run carries the user's own
token. Alice has connected her Mail; Bob has not. Bob's tool call returns an
*authorization required* observation, the app gets the link as an event and shows it
as a clickable link, Bob consents, and the same call succeeds. Then the same flow with
a **LangGraph interrupt** that pauses the run until the user is back.
""",
    ),
    ("code", START_DEV),
    (
        "code",
        """
dev.consent("alice", "mail")  # Alice connected her Mail earlier (what clicking Approve does)
alice_token, bob_token = dev.tokens.user("alice"), dev.tokens.user("bob")  # from each request
""",
    ),
    (
        "md",
        """
## One tool list, one agent, every user

No static token: `Gateway(url)` alone is per-user mode. The run's `context` carries the
token (`create_agent(..., context_schema=...)`); an `authorization_callback` (or the
`AUTHORIZATION_EVENT` custom event) tells the app when a user must consent.
""",
    ),
    (
        "code",
        """
from dataclasses import dataclass

from langchain.agents import create_agent
from mcp_gateway_tools import Gateway
from mcp_gateway_tools.langchain import GatewayToolkit
from mcp_gateway_tools.langchain.testing import scripted_chat_model


@dataclass
class Context:
    user_token: str


requests = []  # what the app's UI would turn into buttons
gateway = Gateway(dev.base_url)
toolkit = GatewayToolkit(gateway, servers=["mail"], authorization_callback=requests.append)
tools = await toolkit.aget_tools(token=alice_token)
agent = create_agent(scripted_chat_model(("list_messages", {"limit": 2})), tools, context_schema=Context)


async def ask(token):
    state = await agent.ainvoke(
        {"messages": [{"role": "user", "content": "What is in my inbox?"}]},
        context=Context(user_token=token),
    )
    return state["messages"][-2]  # the ToolMessage


alice_message = await ask(alice_token)
print("Alice:", alice_message.artifact["structured_content"])
""",
    ),
    (
        "code",
        """
bob_message = await ask(bob_token)
print("status:", bob_message.status)
print("artifact type:", bob_message.artifact["type"])
print("event for the app:", {k: requests[-1][k] for k in ("tool", "server", "server_names")})
""",
    ),
    (
        "md",
        """
## The link, as a Jupyter user sees it

`show_authorization` renders any of these as clickable links (only absolute http(s)
links; everything HTML-escaped): the `ToolMessage`, its artifact, the event payload,
or an `AuthorizationRequired` exception.
""",
    ),
    (
        "code",
        """
from mcp_gateway_tools.notebook import show_authorization

links = show_authorization(requests[-1])
""",
    ),
    (
        "md",
        """
Bob opens the link and clicks Approve. Here the dev gateway's helper performs the same
HTTP steps a browser would (open the link, approve at the provider, follow the
redirect back to the gateway).
""",
    ),
    (
        "code",
        """
print(dev.consent("bob", "mail", link=links.authorization_urls["mail"]).outcome)
bob_message = await ask(bob_token)
print("Bob:", bob_message.artifact["structured_content"])
""",
    ),
    (
        "md",
        """
## Pause and resume with a LangGraph interrupt

With `on_authorization_required="interrupt"` the tool pauses the run
(`interrupt(payload)`); the app shows the link and resumes with `Command(resume=True)`
once the user is back; the tool retries once. It needs a checkpointer and a thread id.
""",
    ),
    (
        "code",
        """
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

dev.consent("alice", "calendar")  # the tool list is loaded once, as a user who can list it
calendar_tools = await GatewayToolkit(
    gateway, servers=["calendar"], on_authorization_required="interrupt"
).aget_tools(token=alice_token)
graph = create_agent(
    scripted_chat_model(("list_events", {})),
    calendar_tools,
    context_schema=Context,
    checkpointer=InMemorySaver(),
)
config = {"configurable": {"thread_id": "bob-1"}}
paused = await graph.ainvoke(
    {"messages": [{"role": "user", "content": "What is on my calendar?"}]},
    config,
    context=Context(user_token=bob_token),
)
request = paused["__interrupt__"][0].value
print("paused in tool:", request["tool"])
show_authorization(request);
""",
    ),
    (
        "code",
        """
dev.consent("bob", "calendar", link=request["authorization_urls"]["calendar"])  # Bob approves
done = await graph.ainvoke(Command(resume=True), config, context=Context(user_token=bob_token))
print(done["messages"][-2].artifact["structured_content"])
""",
    ),
    (
        "code",
        """
await gateway.aclose()
dev.stop()
""",
    ),
]

LLAMAINDEX: Cells = [
    (
        "md",
        """
# 03 · LlamaIndex on a virtual server (scenario C)

The `workspace` virtual server mixes a shared Knowledge Base (shared credential) and
each user's Mail (per-user OAuth). The shared tool answers at once; Mail asks for
consent in the middle of the session, on `tools/call`. The tool tells the model, and
the app through an `AuthorizationRequiredEvent` on the workflow stream. With the
`"wait"` policy the run pauses until the app says the user is done.
""",
    ),
    ("code", START_DEV),
    (
        "code",
        """
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.workflow import Context

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.llamaindex import (
    AuthorizationCompletedEvent,
    AuthorizationRequiredEvent,
    GatewayToolSpec,
)
from mcp_gateway_tools.notebook import show_authorization
from mcp_gateway_tools.llamaindex.testing import scripted_llm

gateway = Gateway(dev.base_url)  # per-user mode
alice_token = dev.tokens.user("alice")
tools = await GatewayToolSpec(gateway, servers=["workspace"]).to_tool_list_async(token=alice_token)
print([t.metadata.name for t in tools])
""",
    ),
    (
        "md",
        """
## The stream event (default policy: observation)

The token of the run goes in the workflow `Context` store under `"user_token"`.
""",
    ),
    (
        "code",
        """
# Any function-calling LLM works, e.g. llama_index.llms.openai.OpenAI(model="gpt-4.1-mini").
llm = scripted_llm([("search_docs", {"query": "expense"})], [("list_messages", {"limit": 2})])
agent = FunctionAgent(tools=tools, llm=llm)


async def run(agent, token, question):
    ctx = Context(agent)
    await ctx.store.set("user_token", token)
    handler = agent.run(question, ctx=ctx)
    events = []
    async for event in handler.stream_events():
        if isinstance(event, AuthorizationRequiredEvent | ToolCallResult):
            events.append(event)
    return events, await handler


events, response = await run(agent, alice_token, "Expense policy? And my latest mail?")
for event in events:
    if isinstance(event, ToolCallResult):
        print(f"tool {event.tool_name}: is_error={event.tool_output.is_error}")
    else:
        print(f"AuthorizationRequiredEvent(tool={event.tool_name}, server={event.server})")
request = next(e for e in events if isinstance(e, AuthorizationRequiredEvent))
show_authorization(request);
""",
    ),
    (
        "code",
        """
dev.consent("alice", "mail", link=request.authorization_urls["mail"])  # Alice approves
events, response = await run(agent, alice_token, "Expense policy? And my latest mail?")
print(response)
""",
    ),
    (
        "md",
        """
## Human in the loop: the `"wait"` policy

The tool writes the event with `waiting=True` and waits for the app's
`AuthorizationCompletedEvent` (same `request_id`), then retries once, in the same run.
""",
    ),
    (
        "code",
        """
bob_token = dev.tokens.user("bob")
waiting_tools = await GatewayToolSpec(
    gateway, servers=["workspace"], on_authorization_required="wait"
).to_tool_list_async(token=bob_token)
agent = FunctionAgent(tools=waiting_tools, llm=scripted_llm([("mail_whoami", {})]))

ctx = Context(agent)
await ctx.store.set("user_token", bob_token)
handler = agent.run("Which mailbox am I using?", ctx=ctx)
async for event in handler.stream_events():
    if isinstance(event, AuthorizationRequiredEvent) and event.waiting:
        print("waiting for Bob to connect", event.server_names["mail"])
        dev.consent("bob", "mail", link=event.authorization_urls["mail"])  # Bob approves
        handler.ctx.send_event(AuthorizationCompletedEvent(request_id=event.request_id))
print(await handler)
""",
    ),
    (
        "code",
        """
await gateway.aclose()
dev.stop()
""",
    ),
]

YOUR_GATEWAY: Cells = [
    (
        "md",
        """
# 04 · Connect your own gateway

The same API against a real gateway. Set these environment variables before starting
Jupyter (nothing is stored in the notebook; the token is never printed):

| variable | meaning |
|---|---|
| `MCP_GATEWAY_URL` | gateway base URL, or a full `.../mcp/<server>/server` URL |
| `MCP_GATEWAY_TOKEN` | your token: a personal access token, an IdP JWT, or a Virtual Account token |
| `MCP_GATEWAY_SERVERS` | optional, comma-separated server names (default: the server of a full URL) |
| `MCP_GATEWAY_TOOL`, `MCP_GATEWAY_ARGS` | optional: a tool to call (`server/tool`) and its JSON arguments |

Without `MCP_GATEWAY_URL` and `MCP_GATEWAY_TOKEN`, every cell below skips with a message.
""",
    ),
    (
        "code",
        """
import json
import os

URL = os.environ.get("MCP_GATEWAY_URL", "").strip()
TOKEN = os.environ.get("MCP_GATEWAY_TOKEN", "").strip()
READY = bool(URL and TOKEN)
if READY:
    print("Gateway:", URL, "(token set, not shown)")
else:
    print("Skipping this notebook: set MCP_GATEWAY_URL and MCP_GATEWAY_TOKEN to run it.")
""",
    ),
    (
        "code",
        """
if READY:
    from mcp_gateway_tools import AuthorizationRequired, Gateway, GatewayError
    from mcp_gateway_tools.notebook import show_authorization

    gateway = Gateway(URL)  # the token is passed per call below, never stored in a tool
    names = [s.strip() for s in os.environ.get("MCP_GATEWAY_SERVERS", "").split(",") if s.strip()]
    SERVERS = names or [gateway.server_name()]
    for server in SERVERS:
        try:
            tools = await gateway.list_tools(server, token=TOKEN)
            print(f"{server}: {[t.name for t in tools]}")
        except AuthorizationRequired as exc:
            print(f"{server}: authorization required")
            show_authorization(exc)
        except GatewayError as exc:
            print(f"{server}: {type(exc).__name__}: {exc}")
else:
    print("skipped (no gateway configured)")
""",
    ),
    (
        "code",
        """
if READY:
    from mcp_gateway_tools.langchain import GatewayToolkit

    lc_tools = await GatewayToolkit(gateway, servers=SERVERS).aget_tools(token=TOKEN)
    print("LangChain tools:", [t.name for t in lc_tools])
else:
    print("skipped (no gateway configured)")
""",
    ),
    (
        "code",
        """
TOOL = os.environ.get("MCP_GATEWAY_TOOL", "")
if READY and "/" in TOOL:
    server, tool = TOOL.split("/", 1)
    arguments = json.loads(os.environ.get("MCP_GATEWAY_ARGS") or "{}")
    try:
        result = await gateway.call_tool(server, tool, arguments, token=TOKEN)
        print(result.text[:1000])
    except AuthorizationRequired as exc:
        show_authorization(exc)
elif READY:
    print("skipped: set MCP_GATEWAY_TOOL=server/tool (and MCP_GATEWAY_ARGS) to call a tool")
else:
    print("skipped (no gateway configured)")
""",
    ),
    (
        "code",
        """
if READY:
    await gateway.aclose()
""",
    ),
]

NOTEBOOKS: dict[str, Cells] = {
    "01_quickstart_service_account": QUICKSTART,
    "02_per_user_tokens_and_consent": PER_USER,
    "03_llamaindex_virtual_server": LLAMAINDEX,
    "04_connect_your_gateway": YOUR_GATEWAY,
}
