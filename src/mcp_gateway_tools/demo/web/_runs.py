"""Every user's conversation with the one shared agent, as this worker serves it.

One ``create_agent`` serves everyone; a user is a LangGraph thread (``webapp:<user>``)
in the persistent checkpointer, and the user's token travels in the run context, which
LangGraph never checkpoints. Runs are streamed with ``astream_events`` and shown to
that user's open pages only (:class:`Hub`). A run paused on consent is resumed by the
worker that shows it, once the consent works (``resume_command_when_authorized``), so
the user never clicks "done"; a run paused on approval resumes with the user's
decision. Either way the pause is read from the checkpointer, so it may have been
written by another worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import HumanMessage
from langgraph.types import Command

from ... import Gateway, GatewayError, app_user
from ...langchain import authorization_interrupts, resume_command_when_authorized
from ._claims import ResumeClaims
from ._events import Event, from_stream_event, pending, snapshot_events

__all__ = ["Conversations", "Hub", "Refused", "UserContext"]

log = logging.getLogger("mcp_gateway_tools.demo.web")


@dataclass
class UserContext:
    """The run context: whose gateway token the tools send (mail), and who the app
    user is (calendar, whose OAuth this app runs). Never checkpointed."""

    user_token: str
    app_user: str

    def __repr__(self) -> str:
        return f"UserContext(user_token=<hidden>, app_user={self.app_user!r})"


class Refused(Exception):
    """The request cannot be served now (a run is going, or the pause is gone)."""


class Hub:
    """The open pages (SSE streams) of each user on this worker, and what they show.

    A page that opens gets the transcript as one snapshot event, then every later
    event; both happen without an ``await`` in between, so a page opened mid-run shows
    each line once. The transcript remembers the checkpoint it matches (set when a run
    ends); when the stored thread has moved on (another worker ran it, or this worker
    never showed it) it is rebuilt from the checkpointer, which keeps the messages and
    the pending pauses but not the cards already answered.
    """

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)
        self._shown: dict[str, list[Event]] = {}
        self._matches: dict[str, str] = {}

    def matches(self, user: str) -> str | None:
        """The checkpoint the user's transcript shows, if it is known to be complete."""
        return self._matches.get(user)

    def mark(self, user: str, checkpoint: str) -> None:
        self._matches[user] = checkpoint

    def subscribe(self, user: str, *, busy: bool) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        events = list(self._shown.get(user, []))
        queue.put_nowait({"type": "snapshot", "events": events, "busy": busy})
        self._queues[user].add(queue)
        return queue

    def unsubscribe(self, user: str, queue: asyncio.Queue[Event]) -> int:
        """Forget one page; returns how many the user still has open."""
        self._queues[user].discard(queue)
        return len(self._queues[user])

    def count(self, user: str) -> int:
        return len(self._queues.get(user, ()))

    def reset(self, user: str, events: list[Event], *, busy: bool, checkpoint: str) -> None:
        """Show ``events`` (the thread as stored) on every page of the user."""
        self._shown[user] = list(events)
        self._matches[user] = checkpoint
        for queue in self._queues.get(user, ()):
            queue.put_nowait({"type": "snapshot", "events": list(events), "busy": busy})

    def publish(self, user: str, event: Event) -> None:
        if event["type"] in _SHOWN:
            self._shown.setdefault(user, []).append(event)
        for queue in self._queues.get(user, ()):
            queue.put_nowait(event)


_SHOWN = {
    "user",
    "tool_call",
    "tool_result",
    "answer",
    "authorization",
    "approval",
    "error",
    "authorized",
    "decided",
}
"""Events a page opened later replays (not "busy"/"idle": the snapshot says which)."""


class Conversations:
    def __init__(
        self, agent: Any, gateway: Gateway, tokens: dict[str, str], claims: ResumeClaims
    ) -> None:
        self.agent = agent
        self.gateway = gateway
        self._tokens = tokens
        self.claims = claims
        self.hub = Hub()
        self._runs: dict[str, asyncio.Task[None]] = {}
        self._waiters: dict[str, asyncio.Task[None]] = {}
        # Checking "may this start?" and starting happen under the user's lock, so a
        # double click cannot start two runs on one thread.
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def _config(self, user: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": f"webapp:{user}"}}

    def _context(self, user: str) -> UserContext:
        return UserContext(user_token=self._tokens[user], app_user=user)

    def busy(self, user: str) -> bool:
        return user in self._runs

    async def _sync_transcript(self, user: str, state: Any = None) -> Any:
        """Rebuild the user's transcript from ``state`` (read if not given) unless it
        already shows that checkpoint; returns the state."""
        if state is None:
            state = await self.agent.aget_state(self._config(user))
        checkpoint = _checkpoint(state)
        if self.hub.matches(user) != checkpoint:
            messages = state.values.get("messages", []) if state.values else []
            events = snapshot_events(messages, state.interrupts)
            self.hub.reset(user, events, busy=self.busy(user), checkpoint=checkpoint)
        return state

    # -- pages ---------------------------------------------------------------------------

    async def page_opened(self, user: str) -> asyncio.Queue[Event]:
        """Subscribe a page; if the run waits on consent, wait for it here too."""
        async with self._locks[user]:
            if self.busy(user):  # the transcript is this run's, already current
                return self.hub.subscribe(user, busy=True)
            state = await self._sync_transcript(user)
            queue = self.hub.subscribe(user, busy=False)
            if authorization_interrupts(list(state.interrupts)):
                self._wait_for_consent(user)
            return queue

    def page_closed(self, user: str, queue: asyncio.Queue[Event]) -> None:
        """The last page gone: stop waiting (the pause stays; a page resumes it later)."""
        if self.hub.unsubscribe(user, queue) == 0:
            waiter = self._waiters.pop(user, None)
            if waiter is not None:
                waiter.cancel()

    # -- runs ----------------------------------------------------------------------------

    async def say(self, user: str, text: str) -> None:
        """Start a run for a new message; refused while one runs or waits on the user."""
        async with self._locks[user]:
            await self._say(user, text)

    async def _say(self, user: str, text: str) -> None:
        if self.busy(user):
            raise Refused("the assistant is still working on your last message")
        state = await self.agent.aget_state(self._config(user))
        if state.interrupts:
            raise Refused("the assistant is waiting for you (connect or approve first)")
        await self._sync_transcript(user, state)
        self.hub.publish(user, {"type": "user", "text": text})
        self._start(user, self._drive(user, {"messages": [HumanMessage(text)]}))

    async def decide(self, user: str, interrupt_id: str, choice: str) -> None:
        """Resume a pause with the user's answer: approve / reject a call, or decline a
        consent ("not now"; the tool tells the model the user chose not to connect)."""
        async with self._locks[user]:
            await self._decide(user, interrupt_id, choice)

    async def _decide(self, user: str, interrupt_id: str, choice: str) -> None:
        if self.busy(user):
            raise Refused("the assistant is still working")
        state = await self.agent.aget_state(self._config(user))
        kind = "authorization" if choice == "decline" else "approval"
        asked = [e for e in pending(state.interrupts) if e["type"] == kind]
        if not any(e["id"] == interrupt_id for e in asked):
            raise Refused("this request is no longer pending")
        if not await self.claims.claim(_checkpoint(state), interrupt_id):
            raise Refused("this request was already answered")
        waiter = self._waiters.pop(user, None)
        if waiter is not None:
            waiter.cancel()
        resume: Any = False if choice == "decline" else {"decisions": [_decision(choice)]}
        await self._sync_transcript(user, state)
        self.hub.publish(user, {"type": "decided", "id": interrupt_id, "choice": choice})
        self._start(user, self._drive(user, Command(resume=resume)))

    def _start(self, user: str, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work, name=f"webapp-run-{user}")
        self._runs[user] = task
        task.add_done_callback(lambda t: self._finished(user, t))

    def _finished(self, user: str, task: asyncio.Task[Any] | None) -> None:
        """Forget the user's run if it is this one (a newer one may have started)."""
        if task is not None and self._runs.get(user) is task:
            del self._runs[user]

    async def _drive(self, user: str, inputs: Any) -> None:
        """Stream one run (or resumed run) to the user's pages, then show any pause."""
        config, context = self._config(user), self._context(user)
        self.hub.publish(user, {"type": "busy"})
        try:
            with app_user(user):  # the middleware lists calendar as this app user too
                async for event in self.agent.astream_events(
                    inputs, config, context=context, version="v2"
                ):
                    for shown in from_stream_event(event):
                        self.hub.publish(user, shown)
            state = await self.agent.aget_state(config)
            for shown in pending(state.interrupts):
                self.hub.publish(user, shown)
            self.hub.mark(user, _checkpoint(state))  # the transcript is this checkpoint
        except Exception as exc:
            log.warning("run failed user=%s error=%s", user, type(exc).__name__)
            self.hub.publish(user, {"type": "error", "text": "The run failed; see the log."})
            return
        finally:
            # Not busy from here on: a decision sent as soon as the page sees "idle" is
            # accepted (the done callback would run a few loop turns later).
            self._finished(user, asyncio.current_task())
            self.hub.publish(user, {"type": "idle"})
        if authorization_interrupts(list(state.interrupts)) and self.hub.count(user):
            self._wait_for_consent(user)

    # -- consent -------------------------------------------------------------------------

    def _wait_for_consent(self, user: str) -> None:
        if user in self._waiters:
            return
        task = asyncio.create_task(self._resume_after_consent(user), name=f"webapp-wait-{user}")
        self._waiters[user] = task
        task.add_done_callback(lambda t: self._waited(user, t))

    def _waited(self, user: str, task: asyncio.Task[None]) -> None:
        if self._waiters.get(user) is task:
            del self._waiters[user]

    async def _resume_after_consent(self, user: str) -> None:
        """Wait as the user until every consent works; then resume, unless claimed."""
        config, context = self._config(user), self._context(user)
        state = await self.agent.aget_state(config)
        interrupts = authorization_interrupts(list(state.interrupts))
        if not interrupts:
            return
        try:
            command = await resume_command_when_authorized(
                interrupts, gateway=self.gateway, context=context, timeout=None
            )
        except GatewayError as exc:  # e.g. the token was refused: waiting cannot fix it
            log.warning("waiting for consent failed user=%s error=%s", user, type(exc).__name__)
            self.hub.publish(user, {"type": "error", "text": "Waiting for the consent failed."})
            return
        checkpoint = _checkpoint(state)
        won = [await self.claims.claim(checkpoint, i.id) for i in interrupts]
        if not all(won):
            log.info("consent of user=%s resumed by another worker", user)
            await self._follow_elsewhere(user, checkpoint)
            return
        log.info("worker %s resumes user=%s after consent", self.claims.worker, user)
        async with self._locks[user]:
            await self._sync_transcript(user, state)
            self.hub.publish(user, {"type": "authorized", "ids": [i.id for i in interrupts]})
            self._start(user, self._drive(user, command))

    async def _follow_elsewhere(self, user: str, checkpoint: str, polls: int = 240) -> None:
        """Another worker resumed: show the thread once that run has moved on."""
        for _ in range(polls):
            state = await self.agent.aget_state(self._config(user))
            if _checkpoint(state) != checkpoint and (not state.next or state.interrupts):
                break
            await asyncio.sleep(0.5)
        async with self._locks[user]:
            if not self.busy(user):
                await self._sync_transcript(user)

    async def aclose(self) -> None:
        for task in [*self._waiters.values(), *self._runs.values()]:
            task.cancel()
        for task in [*self._waiters.values(), *self._runs.values()]:
            with contextlib.suppress(BaseException):
                await task


def _decision(choice: str) -> dict[str, Any]:
    """A HumanInTheLoopMiddleware-shaped decision, which the toolkit's approval reads."""
    if choice == "approve":
        return {"type": "approve"}
    return {"type": "reject", "message": "The user rejected it on the web page."}


def _checkpoint(state: Any) -> str:
    return str(state.config.get("configurable", {}).get("checkpoint_id", ""))
