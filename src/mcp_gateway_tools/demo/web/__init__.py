"""``mcp-gateway-tools demo --web``: the two-user web demo (see docs/webapp.md).

A small Starlette app with one static page (plain JS, no build step, nothing from a
CDN) and Server-Sent Events, in front of one LangChain ``create_agent`` shared by every
user and the in-process dev gateway. Sign in as Alice or Bob; tool calls and results
stream in; a consent shows a Connect button from the interrupt's payload and the run
resumes by itself once the consent works; sending mail waits for Approve / Reject.
Runs live in a SQLite checkpointer, so ``--workers 2`` serves the same runs from two
processes. ``examples/webapp/`` is the readable entry point.
"""

from __future__ import annotations

from ._serve import run_web_demo

__all__ = ["run_web_demo"]
