"""Completing a user's consent: by the dev gateway's helper, or by a person in a browser."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading

from mcp_gateway_tools.devgateway import ConsentError, DevGateway

from ._report import Report

__all__ = ["complete_consent"]

_ATTEMPTS = 3


def _has_grant(dev: DevGateway, user: str, server: str) -> bool:
    identity = dev.user_email(user)
    return (identity, server) in dev.grants()


async def complete_consent(
    dev: DevGateway, report: Report, user: str, server: str, link: str, interactive: bool
) -> bool:
    """Open ``link`` as ``user`` and approve; True once the gateway holds the grant."""
    if not interactive:
        report.say(
            f"[demo] {user.capitalize()} opens the link and clicks Approve (automated: the "
            "dev gateway's consent helper performs the browser's HTTP steps)"
        )
        try:
            result = await dev.aconsent(user, server, link=link)
        except ConsentError as exc:
            report.say(f"[demo] consent failed: {exc}")
            return False
        report.say(f"[demo] consent outcome: {result.outcome}")
        return result.granted and _has_grant(dev, user, server)
    report.link(f"Open this link in a browser on this machine, as {user}, and click Approve:", link)
    for attempt in range(1, _ATTEMPTS + 1):
        await _enter_pressed("Press Enter when done... ")
        if _has_grant(dev, user, server):
            return True
        if attempt == _ATTEMPTS:
            report.say("No grant stored yet. Giving up on this consent.")
            break
        # A consent link works once (and a Deny uses it up): never offer a dead one again.
        link = dev.authorization_url(user, server)
        report.say("No grant stored yet. Did you approve on the consent page?")
        report.link("Each link works once; here is a fresh one (Approve, then Enter):", link)
    return False


async def _enter_pressed(prompt: str) -> None:
    """Wait for Enter on a daemon thread, so Ctrl-C stops the demo at once.

    ``asyncio.to_thread`` would run the blocking read on the loop's executor, and
    ``asyncio.run`` joins that executor on the way out: Ctrl-C would then wait for
    the next Enter. Nothing joins a daemon thread.
    """
    loop = asyncio.get_running_loop()
    pressed: asyncio.Future[None] = loop.create_future()

    def settle(error: BaseException | None) -> None:
        if pressed.done():
            return
        if error is None:
            pressed.set_result(None)
        else:
            pressed.set_exception(error)

    def read() -> None:
        error: BaseException | None = None
        try:
            _wait_for_enter(prompt)
        except BaseException as exc:  # handed to the waiting task
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
            loop.call_soon_threadsafe(settle, error)

    threading.Thread(target=read, name="demo-wait-for-enter", daemon=True).start()
    await pressed


def _wait_for_enter(prompt: str) -> None:
    print(prompt, end="", flush=True)
    if not sys.stdin.readline():
        raise EOFError("stdin closed while waiting for the consent (run without --interactive)")
