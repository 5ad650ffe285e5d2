"""Completing a user's consent: by the dev gateway's helper, or by a person in a browser."""

from __future__ import annotations

import asyncio
import sys

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
    for _ in range(_ATTEMPTS):
        await asyncio.to_thread(_wait_for_enter, "Press Enter when done... ")
        if _has_grant(dev, user, server):
            return True
        report.say("No grant stored yet. Did you approve on the consent page? Try again.")
    return False


def _wait_for_enter(prompt: str) -> None:
    print(prompt, end="", flush=True)
    if not sys.stdin.readline():
        raise EOFError("stdin closed while waiting for the consent (run without --interactive)")
