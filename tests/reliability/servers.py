"""Gateway-like test apps for the reliability suite (loopback only, real HTTP).

``IdentityGateway`` authenticates the bearer token like a gateway (token -> user, or a
401), gates the ``private`` server behind per-user consent (the McpAuthRequiredError
401 of DESIGN §1), and serves a fastmcp server whose ``whoami`` echoes the *user* the
gateway resolved from the token it received (never the token itself). Tests change
its state (consent, revocation, rotation, injected faults) through ``/control/*`` so
the same app works in a thread or in a child process (to use the second core).

``python -m tests.reliability.servers PORT USERS`` serves it in a child process.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from typing import Any

from fastmcp import FastMCP
from fastmcp.server.dependencies import get_http_headers

from tests.support.asgi import Receive, Scope, Send, read_body, replay, send_json, send_raw
from tests.support.timing import scaled

SERVERS = ("echo", "private")
"""``echo`` is open to every valid token; ``private`` needs the user's consent first."""


def user_tokens(count: int, *, seed: int = 0) -> dict[str, str]:
    """``count`` users and a random, unguessable token for each (user -> token)."""
    rng = random.Random(seed)
    return {f"user-{i:03d}": f"tok-{rng.getrandbits(128):032x}" for i in range(count)}


class IdentityGateway:
    """Token -> user at the front door; per-user consent on ``private``; ``whoami`` echo.

    ``fault_rate`` (settable through ``/control/faults``) makes that share of
    ``tools/call`` requests fail with a random gateway failure, for the soak.
    """

    def __init__(self, users: dict[str, str], *, needs_consent: set[str] | None = None) -> None:
        self.tokens: dict[str, str] = {token: user for user, token in users.items()}
        self.needs_consent = set(needs_consent or ())
        self.fault_rate = 0.0
        self.rng = random.Random(1)
        self.base_url = "http://127.0.0.1"
        self.apps = {name: self._mcp(name).http_app(path=f"/mcp/{name}/server") for name in SERVERS}
        self._lifespans: list[Any] = []

    def _mcp(self, name: str) -> FastMCP:
        mcp = FastMCP(name)
        tokens = self.tokens

        @mcp.tool
        def whoami(nonce: str = "") -> dict[str, str]:
            """Return the user the gateway resolved from the token this call carried."""
            header = get_http_headers(include={"authorization"}).get("authorization", "")
            user = tokens.get(header.removeprefix("Bearer "), "unknown")
            return {"server": name, "user": user, "nonce": nonce}

        @mcp.tool
        async def slow(seconds: float = 0.5, nonce: str = "") -> dict[str, str]:
            """Sleep, then answer like whoami (for cancellation tests)."""
            await asyncio.sleep(min(seconds, 30.0))
            return whoami(nonce)

        return mcp

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run every inner app's lifespan (fastmcp's session managers need it)."""
        from contextlib import AsyncExitStack

        message = await receive()
        assert message["type"] == "lifespan.startup"
        async with AsyncExitStack() as stack:
            for app in self.apps.values():
                await stack.enter_async_context(app.router.lifespan_context(app))
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
        await send({"type": "lifespan.shutdown.complete"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith("/control/"):
            await self._control(path.removeprefix("/control/"), receive, send)
            return
        parts = path.strip("/").split("/")
        server = parts[1] if len(parts) == 3 and parts[0] == "mcp" else ""
        if server not in self.apps:
            await send_json(send, 404, {"error": {"type": "NotFound", "message": "no server"}})
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        token = headers.get("authorization", "").removeprefix("Bearer ")
        user = self.tokens.get(token)
        if user is None:
            await send_json(
                send, 401, {"error": {"type": "InvalidTokenError", "message": "Invalid token"}}
            )
            return
        if server == "private" and user in self.needs_consent:
            await send_json(send, 401, consent_body(self.base_url, user))
            return
        if scope["method"] == "POST" and self.fault_rate:
            body = await read_body(receive)
            receive = replay(body, receive)
            if b'"tools/call"' in body and self.rng.random() < self.fault_rate:
                await self._fault(send, body)
                return
        await self.apps[server](scope, receive, send)

    async def _fault(self, send: Send, body: bytes) -> None:
        kind = self.rng.choice(
            ("429", "500", "503", "html502", "consent", "32042", "slow", "reset")
        )
        if kind == "429":
            await send_json(send, 429, {"message": "slow down"}, [(b"retry-after", b"1")])
        elif kind == "500":
            await send_json(send, 500, {"message": "internal"})
        elif kind == "503":
            await send_raw(send, 503, b"Service Unavailable", b"text/plain")
        elif kind == "html502":
            await send_raw(send, 502, b"<html>Bad Gateway</html>", b"text/html")
        elif kind == "consent":
            await send_json(send, 401, consent_body(self.base_url, "someone"))
        elif kind == "32042":
            error = {
                "code": -32042,
                "message": "URL elicitation required",
                "data": {
                    "elicitations": [
                        {"mode": "url", "elicitationId": "e1", "url": "https://auth.example/x"}
                    ]
                },
            }
            rid = json.loads(body).get("id")
            await send_json(send, 200, {"jsonrpc": "2.0", "id": rid, "error": error})
        elif kind == "reset":  # promise a body, send a few bytes, drop the connection
            headers = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b'{"jsonrpc"', "more_body": True})
            raise ConnectionResetError("reset mid-response (deliberate)")
        else:  # slower than the client's call timeout in the soak
            await asyncio.sleep(scaled(3))
            await send_json(send, 504, {"message": "late"})

    async def _control(self, action: str, receive: Receive, send: Send) -> None:
        data = json.loads(await read_body(receive) or b"{}")
        if action == "consent":
            self.needs_consent.discard(data["user"])
        elif action == "require-consent":
            self.needs_consent.add(data["user"])
        elif action == "add-token":
            self.tokens[data["token"]] = data["user"]
        elif action == "revoke":
            self.tokens.pop(data["token"], None)
        elif action == "faults":
            self.fault_rate = float(data["rate"])
        else:
            await send_json(send, 404, {"error": "unknown control"})
            return
        await send_json(send, 200, {"ok": True})


def consent_body(base: str, user: str) -> dict[str, Any]:
    """The gateway's consent-needed 401 body; the link names the user, never a token."""
    return {
        "error": {"type": "McpAuthRequiredError", "message": "OAuth authorization required"},
        "message": "You need to authorize Private Mail before using it.",
        "authorization_urls": {"private": f"{base}/consent/private?user={user}"},
        "server_names": {"private": "Private Mail"},
    }


def main(argv: list[str]) -> None:
    """Serve an IdentityGateway in this (child) process: PORT USERS [CONSENT_USERS...]."""
    import uvicorn

    port, count = int(argv[0]), int(argv[1])
    app = IdentityGateway(user_tokens(count), needs_consent=set(argv[2:]))
    app.base_url = f"http://127.0.0.1:{port}"
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
