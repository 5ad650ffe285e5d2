"""The identity gateway (``servers.IdentityGateway``) in a child process on 127.0.0.1.

A child process uses the second core, so what the isolation run and the soak measure
is the client side, not one interpreter's GIL shared by client and server.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from tests.reliability.servers import user_tokens
from tests.support.serving import free_port
from tests.support.timing import scaled

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class IdentityServer:
    """A running ``IdentityGateway`` in a child process, steered through ``/control``."""

    url: str
    port: int
    users: dict[str, str]
    pid: int
    _http: httpx2.Client = field(repr=False)

    def control(self, action: str, **data: Any) -> None:
        response = self._http.post(f"{self.url}/control/{action}", json=data)
        response.raise_for_status()

    async def acontrol(self, action: str, **data: Any) -> None:
        async with httpx2.AsyncClient(timeout=scaled(10)) as http:
            response = await http.post(f"{self.url}/control/{action}", json=data)
            response.raise_for_status()


@contextmanager
def identity_process(
    users: int = 200, needs_consent: tuple[str, ...] = ()
) -> Iterator[IdentityServer]:
    """Serve an IdentityGateway with ``users`` users in a child process."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.servers", str(port), str(users), *needs_consent],
        cwd=ROOT,
    )
    http = httpx2.Client(timeout=scaled(10))
    try:
        deadline = time.monotonic() + scaled(20)
        while True:
            try:
                http.post(f"http://127.0.0.1:{port}/control/faults", json={"rate": 0})
                break
            except httpx2.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("identity server did not start") from None
                time.sleep(0.05)
        yield IdentityServer(
            f"http://127.0.0.1:{port}", port, user_tokens(users), process.pid, http
        )
    finally:
        http.close()
        process.terminate()
        try:
            process.wait(timeout=scaled(10))
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck child
            process.kill()
            process.wait(timeout=scaled(10))
