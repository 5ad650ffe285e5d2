"""A run paused for consent in process A is resumed in process B (issue 14).

Real ``create_agent`` agents with persistent checkpointers (SQLite file; a real
PostgreSQL 15 server started by the tests). Process B rebuilds the agent from scratch,
reads the pause from the checkpoint, waits until the user's consent works (completed
meanwhile with the dev gateway's browser-less helper) and resumes: the run finishes for
the right user. The checkpoint store is then scanned: the user's token is not in it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mcp_gateway_tools.devgateway import DevGateway
from tests.durable.conftest import result_of, worker
from tests.durable.lg_worker import QUESTION


def sqlite_bytes(path: Path) -> bytes:
    """Every byte SQLite wrote for the checkpointer (the database and its journals)."""
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def postgres_bytes(dsn: str) -> bytes:
    """Every value of every table in the database, as bytes."""
    import psycopg

    chunks: list[bytes] = []
    with psycopg.connect(dsn) as conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
        for (table,) in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        chunks.append(bytes(value))
                    elif value is not None:
                        chunks.append(str(value).encode())
    return b"\n".join(chunks)


async def pause_then_resume_elsewhere(
    dev: DevGateway, backend: str, where: str, thread: str
) -> dict[str, object]:
    alice = dev.tokens.user("alice")
    args = (backend, where, dev.base_url, thread)

    paused = result_of(worker("lg_worker", "start", *args, token=alice))
    (interrupt,) = paused["interrupts"]
    assert interrupt["type"] == "authorization_required"
    assert interrupt["server"] == "mail"

    resumer = worker("lg_worker", "resume", *args, token=alice)  # process B: waits
    await dev.aconsent("alice", "mail")  # the user consents in the browser meanwhile
    return await asyncio.to_thread(result_of, resumer)


def check_finished_for_alice(done: dict[str, object]) -> None:
    assert done["paused"] is False
    authorized, whoami = done["tools"]  # type: ignore[misc]
    assert authorized["type"] == "authorized"
    assert whoami["structured_content"]["user"] == "alice@example.com"


async def test_sqlite_pause_in_one_process_resumes_in_another_without_a_token_stored(
    dev: DevGateway, tmp_path: Path
) -> None:
    db = tmp_path / "checkpoints.sqlite"
    done = await pause_then_resume_elsewhere(dev, "sqlite", str(db), "sqlite-thread")
    check_finished_for_alice(done)
    stored = sqlite_bytes(db)
    assert QUESTION.encode() in stored  # the scan reads the conversation...
    assert dev.tokens.user("alice").encode() not in stored  # ...and finds no token


@pytest.mark.slow
async def test_postgres_pause_in_one_process_resumes_in_another_without_a_token_stored(
    dev: DevGateway, postgres_dsn: str
) -> None:
    done = await pause_then_resume_elsewhere(dev, "postgres", postgres_dsn, "pg-thread")
    check_finished_for_alice(done)
    stored = postgres_bytes(postgres_dsn)
    assert QUESTION.encode() in stored
    assert dev.tokens.user("alice").encode() not in stored
