"""One app worker process: ``python -m tests.oauth_stores.worker start|finish``.

``start``: as app user ``alice``, call the OAuth-protected server; print the
authorization link that the (shared) store now has a pending authorization for.
``finish CALLBACK_URL``: complete that authorization (a state this process never
issued) and call the server as alice; print whose token the server saw.
The store comes from the environment: ``MGT_STORE`` (``sqlite:<dir>`` or a
``postgresql://`` URL) and ``MGT_STORE_KEY``; the server URL from ``MGT_SERVER``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from mcp_gateway_tools import AuthorizationRequired, Gateway, Server, app_user
from mcp_gateway_tools.oauth import (
    EncryptedStore,
    OAuth,
    OAuthClient,
    postgres_token_store,
    sqlite_token_store,
)

REDIRECT = "http://127.0.0.1:9/oauth/callback"


def store_from_env() -> EncryptedStore:
    where, key = os.environ["MGT_STORE"], os.environ["MGT_STORE_KEY"]
    if where.startswith("sqlite:"):
        return sqlite_token_store(where.removeprefix("sqlite:"), key=key)
    return postgres_token_store(where, key=key)


async def main(mode: str, callback: str | None) -> dict[str, object]:
    async with store_from_env() as store:
        gateway = Gateway(
            servers={"calendar": Server(os.environ["MGT_SERVER"], oauth=OAuth())},
            oauth=OAuthClient(redirect_uri=REDIRECT, store=store, client_name="Worker App"),
        )
        async with gateway:
            with app_user("alice"):
                if mode == "start":
                    try:
                        await gateway.call_tool("calendar", "calendar_whoami")
                    except AuthorizationRequired as exc:
                        return {"link": exc.authorization_urls["calendar"], "pid": os.getpid()}
                    return {"link": None}
                assert callback is not None
                done = await gateway.complete_authorization(callback, user="alice")
                result = await gateway.call_tool("calendar", "calendar_whoami")
                return {"completed": done.server, "seen": result.structured_content,
                        "pid": os.getpid()}  # fmt: skip


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(asyncio.run(main(args[0], args[1] if len(args) > 1 else None))))
