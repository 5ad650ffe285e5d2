"""The hostile gateway through both adapters: their raise paths leak nothing either.

LangChain ``GatewayToolkit`` tools (async ``ainvoke`` and sync ``invoke``, policy
``"raise"`` and the default observation) and LlamaIndex ``GatewayToolSpec`` tools
(``acall`` / ``call``: errors arrive as ``ToolOutput.exception``) meet every hostile
answer mid-session (``call-<case>``); loading a server that fails at connect goes
through the toolkit's ``"raise"`` load policy. Everything produced — messages,
artifacts, outputs, callback payloads, exceptions rendered with their frames' locals,
DEBUG logs — is scanned for the token.
"""

from __future__ import annotations

import asyncio
import traceback
from typing import Any

import pytest
from langchain_core.messages import ToolMessage
from pydantic import SecretStr

from mcp_gateway_tools import AuthorizationRequired, Gateway, GatewayError, user_token
from mcp_gateway_tools.langchain import GatewayToolkit
from mcp_gateway_tools.langchain.testing import tool_call
from mcp_gateway_tools.llamaindex import GatewayToolSpec
from tests.reliability.leaks import Haystack
from tests.security.conftest import TOKEN, leaked_forms
from tests.security.test_core import CALL_CASES, CONNECT_CASES
from tests.support.serving import ThreadedServer

CASES = sorted([f"call-{c}" for c in CONNECT_CASES] + list(CALL_CASES))


def with_locals(exc: BaseException) -> str:
    return "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())


def add_exception(hay: Haystack, exc: BaseException) -> None:
    hay.add(exc)
    hay.add_text(with_locals(exc))


async def langchain_outcomes(gw: Gateway, case: str, hay: Haystack) -> list[Any]:
    """What a LangChain app meets for ``case``: async and sync, raise and observation."""
    seen: list[Any] = []
    got: list[Any] = []
    for policy in ("raise", "observation"):
        toolkit = GatewayToolkit(
            gw, [case], on_authorization_required=policy, authorization_callback=seen.append
        )
        with user_token(TOKEN):
            tools = {t.name: t for t in await toolkit.aget_tools()}
        tool = next(t for name, t in tools.items() if name.endswith("whoami"))

        async def run_async(tool: Any = tool) -> Any:
            with user_token(TOKEN):
                return await tool.ainvoke(tool_call(tool.name, {}))

        def run_sync(tool: Any = tool) -> Any:
            with user_token(TOKEN):
                return tool.invoke(tool_call(tool.name, {}))

        for runner in (run_async, lambda: asyncio.to_thread(run_sync)):
            try:
                got.append(await runner())
            except Exception as exc:  # the raise paths: keep what a tracker would see
                add_exception(hay, exc)
                got.append(exc)
    hay.add(*got, *seen)
    return got


async def llamaindex_outcomes(gw: Gateway, case: str, hay: Haystack) -> list[Any]:
    seen: list[Any] = []
    got: list[Any] = []
    for policy in ("raise", "observation"):
        spec = GatewayToolSpec(gw, [case], on_authorization_required=policy, callback=seen.append)
        with user_token(TOKEN):
            tools = {t.metadata.name: t for t in await spec.to_tool_list_async()}
        tool = next(t for name, t in tools.items() if name and name.endswith("whoami"))

        async def run_async(tool: Any = tool) -> Any:
            with user_token(TOKEN):
                return await tool.acall()

        def run_sync(tool: Any = tool) -> Any:
            with user_token(TOKEN):
                return tool.call()

        for runner in (run_async, lambda: asyncio.to_thread(run_sync)):
            try:
                out = await runner()
            except Exception as exc:
                add_exception(hay, exc)
                got.append(exc)
                continue
            got.append(out)
            if out.exception is not None:  # ToolOutput.exception: the adapter's error path
                add_exception(hay, out.exception)
    hay.add(*got, *seen)
    return got


@pytest.mark.parametrize("case", CASES)
async def test_every_hostile_answer_through_both_adapters_leaks_nothing(
    hostile: ThreadedServer, case: str, debug_logs: pytest.LogCaptureFixture
) -> None:
    hay = Haystack()
    async with Gateway(hostile.url) as gw:
        lc = await langchain_outcomes(gw, case, hay)
        li = await llamaindex_outcomes(gw, case, hay)
    hay.add_logs(debug_logs.records, debug_logs.text)
    # Each path gave an outcome: a message/output, or the typed error it raises.
    assert len(lc) == 4
    assert len(li) == 4
    expected = CONNECT_CASES.get(case.removeprefix("call-")) or CALL_CASES[case]
    if expected is AuthorizationRequired:
        assert isinstance(lc[0], AuthorizationRequired)  # policy "raise"
        assert isinstance(lc[2], ToolMessage)  # the observation
        assert lc[2].artifact["type"] == "authorization_required"
    hits = hay.find([TOKEN]) + leaked_forms(hay.renderings())
    assert not hits, hits[:3]


@pytest.mark.parametrize("case", sorted(CONNECT_CASES))
async def test_loading_a_server_that_fails_at_connect_raises_without_the_token(
    hostile: ThreadedServer, case: str
) -> None:
    async with Gateway(hostile.url) as gw:
        toolkit = GatewayToolkit(gw, [case], on_authorization_required_at_load="raise")
        with user_token(TOKEN), pytest.raises(GatewayError) as caught:
            await toolkit.aget_tools()
    assert TOKEN not in with_locals(caught.value)


async def test_a_per_request_secretstr_token_stays_out_of_the_raise_paths_frames(
    hostile: ThreadedServer,
) -> None:
    """LangChain's own frames hold ``config``: a SecretStr there shows as ``**********``."""
    async with Gateway(hostile.url) as gw:
        toolkit = GatewayToolkit(gw, ["call-consent"], on_authorization_required="raise")
        [tool] = [t for t in await toolkit.aget_tools(token=TOKEN) if t.name.endswith("whoami")]
        config: Any = {"configurable": {"user_token": SecretStr(TOKEN)}}
        with pytest.raises(AuthorizationRequired) as caught:
            await tool.ainvoke(tool_call(tool.name, {}), config)
    assert TOKEN not in with_locals(caught.value)
