"""Run a contender in another Python interpreter, driven over stdin/stdout.

langchain-mcp-adapters 0.3 requires ``mcp<2`` while this project needs ``mcp>=2``, so
it cannot be imported next to fastmcp 4. Given an interpreter that has it
(``--peer-python``, see docs/benchmarks.md), the benchmarks drive it through this
module: the parent holds a :class:`RemoteContender` whose calls are forwarded to
``python benchmarks/_remote.py KEY`` running the real contender. A forwarded call costs
a pipe round trip (~0.1 ms) on top of the peer's own time (tens of ms).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _contenders import CONTENDERS, Contender, Unavailable, UserSession, make, result_text

HERE = Path(__file__).resolve().parent


class RemoteContender(Contender):
    """A contender that runs in ``python`` (another interpreter)."""

    def __init__(self, key: str, python: str) -> None:
        super().__init__()
        real = CONTENDERS[key]
        self.key, self.name, self.family = key, real.name, real.family
        self.session_per_call = real.session_per_call
        self.python = python
        self.proc: asyncio.subprocess.Process | None = None
        self.lock = asyncio.Lock()

    async def _ask(self, message: dict[str, Any]) -> dict[str, Any]:
        async with self.lock:  # one request at a time on the pipe
            proc = self.proc
            assert proc is not None
            assert proc.stdin is not None
            assert proc.stdout is not None
            proc.stdin.write((json.dumps(message) + "\n").encode())
            await proc.stdin.drain()
            line = await asyncio.wait_for(proc.stdout.readline(), timeout=120)
        if not line:
            raise RuntimeError(f"{self.key} in {self.python} exited")
        answer = dict(json.loads(line))
        if "error" in answer:
            raise RuntimeError(f"{self.key}: {answer['error']}")
        return answer

    async def start(self, url: str) -> None:
        await super().start(url)
        self.proc = await asyncio.create_subprocess_exec(
            *[self.python, "-W", "ignore", str(HERE / "_remote.py"), self.key],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        answer = await self._ask({"op": "start", "url": url})
        if "unavailable" in answer:
            await self.aclose()
            raise Unavailable(str(answer["unavailable"]))

    async def user(self, token: str) -> UserSession:
        uid = (await self._ask({"op": "user", "token": token}))["user"]

        async def call() -> object:
            return (await self._ask({"op": "call", "user": uid}))["text"]

        async def close() -> None:
            await self._ask({"op": "close", "user": uid})

        return UserSession(call, close)

    async def aclose(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.returncode is not None:
            return
        assert proc.stdin is not None
        proc.stdin.write(b'{"op": "quit"}\n')
        await proc.stdin.drain()
        try:
            await asyncio.wait_for(proc.wait(), timeout=30)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def serve(key: str) -> None:
    """The child: the real contender, answering one JSON line per request."""
    contender = make(key)
    users: dict[int, UserSession] = {}
    ids = itertools.count()
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        request = json.loads(line)
        op = request["op"]
        try:
            if op == "quit":
                break
            if op == "start":
                try:
                    await contender.start(request["url"])
                except Unavailable as exc:
                    _say({"unavailable": str(exc)})
                    continue
                _say({"ok": True})
            elif op == "user":
                uid = next(ids)
                users[uid] = await contender.user(request["token"])
                _say({"user": uid})
            elif op == "call":
                _say({"text": result_text(await users[request["user"]].call())})
            elif op == "close":
                await users.pop(request["user"]).aclose()
                _say({"ok": True})
        except Exception as exc:
            _say({"error": repr(exc)})
    await contender.aclose()


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1]))
