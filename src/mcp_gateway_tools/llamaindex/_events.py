"""Workflow events for the authorization flow (human in the loop, as LlamaIndex does it).

A tool that meets "authorization required" writes an :class:`AuthorizationRequiredEvent`
to the workflow's event stream, so the application can show a button next to the
chat while the model relays the same links in text. Under the ``"wait"`` policy the
event has ``waiting=True`` and the tool waits (``ctx.wait_for_event``) for the app to
answer with an :class:`AuthorizationCompletedEvent` carrying the same ``request_id``::

    async for ev in handler.stream_events():
        if isinstance(ev, AuthorizationRequiredEvent) and ev.waiting:
            show_links(ev.authorization_urls, ev.server_names)
            handler.ctx.send_event(AuthorizationCompletedEvent(request_id=ev.request_id))

Neither event ever carries a token: they are built from the gateway's observation.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.workflow import Event
from pydantic import Field

from .._errors import AuthorizationRequired

__all__ = ["AuthorizationCompletedEvent", "AuthorizationRequiredEvent"]


class AuthorizationRequiredEvent(Event):
    """The user must open each link and consent before ``tool_name`` can run.

    ``request_id`` identifies this wait; echo it in the
    :class:`AuthorizationCompletedEvent`. ``waiting`` is True only when the tool is
    paused for that answer (policy ``"wait"``); otherwise the event is informational.
    """

    request_id: str
    tool_name: str
    server: str
    authorization_urls: dict[str, str] = Field(default_factory=dict)
    server_names: dict[str, str] = Field(default_factory=dict)
    message: str = ""
    links: list[dict[str, Any]] = Field(default_factory=list)
    """Each link with its server, display name and ``same_origin`` flag."""
    omitted_links: int = 0
    waiting: bool = False

    @classmethod
    def from_error(
        cls,
        exc: AuthorizationRequired,
        *,
        request_id: str,
        tool_name: str,
        server: str,
        waiting: bool,
    ) -> AuthorizationRequiredEvent:
        observation = exc.to_observation()
        return cls(
            request_id=request_id,
            tool_name=tool_name,
            server=exc.server or server,
            authorization_urls=observation["authorization_urls"],
            server_names=observation["server_names"],
            message=observation["message"],
            links=observation["links"],
            omitted_links=observation["omitted_links"],
            waiting=waiting,
        )

    @property
    def observation(self) -> dict[str, Any]:
        """The observation dict of DESIGN §4 (what ``ToolOutput.raw_output`` holds)."""
        return {
            "type": "authorization_required",
            "authorization_urls": dict(self.authorization_urls),
            "server_names": dict(self.server_names),
            "message": self.message,
            "links": [dict(link) for link in self.links],
            "omitted_links": self.omitted_links,
        }


class AuthorizationCompletedEvent(Event):
    """The app's answer to a waiting :class:`AuthorizationRequiredEvent`.

    ``approved=False`` tells the tool the user declined: it stops waiting and tells
    the model so, without calling the gateway again.
    """

    request_id: str
    approved: bool = True
