"""A waiting LlamaIndex workflow is restored in another process and completes (issue 14).

Process A runs a real ``FunctionAgent`` until its tool waits for consent and keeps
``ctx.to_dict()``; the Context's ``"user_token"`` is a ``TokenReference``, so the
serialised form holds no token. Process B restores it, binds the reference to the
user's current token, answers the wait once the consent (completed meanwhile with the
dev gateway's browser-less helper) works, and the run finishes for that user.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from mcp_gateway_tools.devgateway import DevGateway
from tests.durable.conftest import result_of, worker
from tests.durable.li_worker import QUESTION


async def test_a_waiting_workflow_restored_in_another_process_completes_without_a_token_stored(
    dev: DevGateway, tmp_path: Path
) -> None:
    alice = dev.tokens.user("alice")
    state = tmp_path / "paused-workflow.json"

    paused = result_of(worker("li_worker", "start", str(state), dev.base_url, token=alice))
    assert paused == {"waiting": True, "server": "mail"}
    stored = state.read_bytes()
    assert QUESTION.encode() in stored  # the scan reads the serialised Context...
    assert alice.encode() not in stored  # ...and it holds no token

    resumer = worker("li_worker", "resume", str(state), dev.base_url, token=alice)
    await dev.aconsent("alice", "mail")  # the user consents in the browser meanwhile
    done = await asyncio.to_thread(result_of, resumer)

    authorized, whoami = done["tools"]
    assert authorized["type"] == "authorized"
    assert whoami["user"] == "alice@example.com"
