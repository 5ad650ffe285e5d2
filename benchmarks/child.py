"""A contender in its own process: ``python -m benchmarks.child KEY``.

Why: langchain-mcp-adapters requires ``mcp<2``, so it runs in another interpreter (the
peer venv); and the load steps (many users, 10,000 identities) run each contender in a
process of its own, so that memory and CPU are that contender's alone.

JSON lines over stdin/stdout: ``{"id": n, "op": ..., ...}`` in, ``{"id": n, ...}`` out,
served concurrently (an agent turn's three calls overlap). Ops: ``start`` (url), ``user``
(token), ``call`` (user), ``close`` (user), ``many`` and ``identities`` (a load run, see
:mod:`benchmarks.load`), ``quit``. :class:`Local` answers the same ops in this process
(the smoke test's way).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import subprocess
import sys
from typing import Any

from .contenders import CONTENDERS, Started, Unavailable, User, result_text

ROOT_HINT = "run from the repository root: python -m benchmarks"


class Host:
    """The contender side: one started contender and its users."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.started: Started | None = None
        self.users: dict[int, User] = {}
        self.ids = itertools.count()

    async def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request["op"]
        try:
            if op == "start":
                self.started = CONTENDERS[self.key].open(request["url"])
                await self.started.start()
                return {"ok": True}
            assert self.started is not None
            if op == "user":
                uid = next(self.ids)
                self.users[uid] = await self.started.user(request["token"])
                return {"user": uid}
            if op == "call":
                return {"text": result_text(await self.users[request["user"]].call())}
            if op == "close":
                await self.users.pop(request["user"]).aclose()
                return {"ok": True}
            from . import load

            run = load.many_round if op == "many" else load.identities
            return await run(self.started, **request["args"])
        except Unavailable as exc:
            return {"unavailable": str(exc)}
        except Exception as exc:
            return {"error": repr(exc)}

    async def aclose(self) -> None:
        for user in self.users.values():
            await user.aclose()
        if self.started is not None:
            await self.started.aclose()


class Local:
    """The ops answered in this process."""

    def __init__(self, key: str) -> None:
        self.host = Host(key)

    async def ask(self, op: str, **fields: Any) -> dict[str, Any]:
        return _checked(self.host.key, await self.host.handle({"op": op, **fields}))

    async def aclose(self) -> None:
        await self.host.aclose()


class Child(Local):
    """The ops answered by ``python -m benchmarks.child KEY`` in ``python``."""

    def __init__(self, key: str, python: str, cwd: str) -> None:
        self.key, self.python, self.cwd = key, python, cwd
        self.proc: asyncio.subprocess.Process | None = None
        self.waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.ids = itertools.count()
        self.reader: asyncio.Task[None] | None = None

    async def ask(self, op: str, **fields: Any) -> dict[str, Any]:
        if self.proc is None:
            self.proc = await asyncio.create_subprocess_exec(
                *[self.python, "-W", "ignore", "-m", "benchmarks.child", self.key],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self.cwd,
                limit=2**26,
            )
            self.reader = asyncio.create_task(self._read())
        assert self.proc.stdin is not None
        rid = next(self.ids)
        self.waiting[rid] = asyncio.get_running_loop().create_future()
        self.proc.stdin.write((json.dumps({"id": rid, "op": op, **fields}) + "\n").encode())
        await self.proc.stdin.drain()
        return _checked(self.key, await asyncio.wait_for(self.waiting[rid], timeout=600))

    async def _read(self) -> None:
        assert self.proc is not None
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            answer = json.loads(line)
            self.waiting.pop(answer.pop("id")).set_result(answer)
        err = await self.proc.stderr.read() if self.proc.stderr else b""
        for future in self.waiting.values():
            future.set_exception(RuntimeError(f"{self.key} died ({ROOT_HINT}):\n{err[-3000:]!r}"))

    async def aclose(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        assert self.proc.stdin is not None
        with contextlib.suppress(OSError):
            self.proc.stdin.write(b'{"id": -1, "op": "quit"}\n')
            await self.proc.stdin.drain()
        try:
            await asyncio.wait_for(self.proc.wait(), timeout=30)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


def _checked(key: str, answer: dict[str, Any]) -> dict[str, Any]:
    if "unavailable" in answer:
        raise Unavailable(answer["unavailable"])
    if "error" in answer:
        raise RuntimeError(f"{key}: {answer['error']}")
    return answer


class Remote(Started):
    """A contender served by a :class:`Child` (or :class:`Local`): what the steps hold."""

    def __init__(self, url: str, driver: Local) -> None:
        super().__init__(url)
        self.driver = driver

    async def start(self) -> None:
        await self.driver.ask("start", url=self.url)

    async def user(self, token: str) -> User:
        from langchain_core.tools import StructuredTool

        uid = (await self.driver.ask("user", token=token))["user"]

        async def call() -> object:
            return (await self.driver.ask("call", user=uid))["text"]

        async def echo(text: str) -> str:
            """Echo the text back (forwarded to the other process)."""
            return str(await call())

        proxy = StructuredTool.from_function(coroutine=echo, name="echo")
        return User(call, [proxy], close=lambda: self._close(uid))

    async def _close(self, uid: int) -> None:
        await self.driver.ask("close", user=uid)

    async def aclose(self) -> None:
        await self.driver.aclose()


async def serve(key: str) -> None:
    host = Host(key)
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()

    async def answer(request: dict[str, Any]) -> None:
        reply = await host.handle(request)
        sys.stdout.write(json.dumps({"id": request["id"], **reply}) + "\n")
        sys.stdout.flush()

    while line := await loop.run_in_executor(None, sys.stdin.readline):
        request = json.loads(line)
        if request["op"] == "quit":
            break
        task = asyncio.create_task(answer(request))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    await host.aclose()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1]))
