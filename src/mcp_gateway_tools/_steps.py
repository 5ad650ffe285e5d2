"""The vocabulary of the engine (:mod:`._engine`): policies, steps, outcomes, drivers.

A flow yields :data:`Step` objects for an adapter to perform and returns an
:data:`Outcome` for it to render; :func:`adrive` and :func:`drive` run a flow with an
async or a sync ``perform``, as httpx runs one ``auth_flow`` from both its clients.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from ._errors import ConfigurationError, GatewayError
from ._interactions import Answer, InteractionHandler, UserActionRequest

__all__ = [
    "POLICY_NAMES",
    "ApprovalRule",
    "Ask",
    "Call",
    "Failure",
    "Flow",
    "Notify",
    "Observation",
    "Outcome",
    "Pause",
    "Policies",
    "Policy",
    "Raise",
    "Result",
    "Step",
    "adrive",
    "drive",
    "normalize_policy",
]

PolicyName = Literal["observation", "pause", "auto", "raise", "decline"]
Policy: TypeAlias = PolicyName | InteractionHandler
POLICY_NAMES: tuple[str, ...] = ("observation", "pause", "auto", "raise", "decline")
_ALIASES = {"interrupt": "pause", "wait": "pause"}

ApprovalRule: TypeAlias = (
    bool
    | Literal["destructive", "not_read_only", "open_world"]
    | Sequence[str]
    | Callable[..., Any]
    | None
)
"""Which calls need a person's approval: ``None``/``False`` none; ``True`` all;
``"destructive"`` tools whose MCP annotations do not say read-only and do not deny
``destructiveHint`` (the spec's defaults); ``"not_read_only"``; ``"open_world"``
(``openWorldHint`` not False); tool names (the exposed or the MCP name, or
``"server/name"``); or a predicate ``(ToolInfo, arguments) -> bool``."""


def normalize_policy(value: object, *, what: str) -> Policy:
    """A policy name (adapter aliases accepted) or a callable; anything else fails now."""
    if callable(value):
        return value
    name = _ALIASES.get(str(value), str(value))
    if name not in POLICY_NAMES:
        raise ConfigurationError(
            f"{what} must be one of {POLICY_NAMES} (or 'interrupt'/'wait', or a callable), "
            f"got {value!r}."
        )
    return name  # type: ignore[return-value]


@dataclass(frozen=True)
class Policies:
    """What to do for each request kind, and which calls need approval."""

    authorization: Policy = "observation"
    input: Policy = "auto"
    approval: Policy = "auto"
    approval_rule: ApprovalRule = None

    def __post_init__(self) -> None:
        for kind in ("authorization", "input", "approval"):
            normalized = normalize_policy(getattr(self, kind), what=f"on_{kind}_required")
            object.__setattr__(self, kind, normalized)


# -- steps the adapters perform ------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """Call the gateway (or check consent, for a placeholder). Send back the
    :class:`ToolResult`, or the :class:`GatewayError` it raised."""

    arguments: dict[str, Any]
    answers: Mapping[str, Answer]
    on_interaction: InteractionHandler | None
    unanswered_input: Literal["raise", "decline"]
    edited: bool = False
    """The approval changed the arguments: check them against the schema again (the
    adapter checked the model's arguments before the flow started)."""


@dataclass(frozen=True)
class Notify:
    """Tell the app (event, stream, notification callback). Send back nothing."""

    request: UserActionRequest


@dataclass(frozen=True)
class Ask:
    """Run the app's answering callback. Send back what it returned (None if it raised)."""

    handler: InteractionHandler
    request: UserActionRequest


@dataclass(frozen=True)
class Pause:
    """Pause until the user answers (notify first). Send back the resume value."""

    request: UserActionRequest


Step: TypeAlias = Call | Notify | Ask | Pause


# -- outcomes the adapters render ----------------------------------------------------


@dataclass(frozen=True)
class Result:
    """The tool ran; ``notes`` (what was declined on the user's behalf) come first."""

    result: Any
    """A :class:`ToolResult`, or what the adapter's Call step returned for a placeholder."""
    notes: tuple[str, ...] = ()
    declined: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Observation:
    """Text for the model and a dict for programs, in place of a result."""

    text: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Failure:
    """A gateway error the model should see as a failed tool call."""

    error: GatewayError


@dataclass(frozen=True)
class Raise:
    """An error that propagates out of the agent."""

    error: GatewayError


Outcome: TypeAlias = Result | Observation | Failure | Raise
Flow: TypeAlias = Generator[Step, Any, Outcome]


# -- drivers -------------------------------------------------------------------------


async def adrive(flow: Flow, perform: Callable[[Step], Awaitable[Any]]) -> Outcome:
    """Run ``flow`` with an async ``perform`` for each step (async tools)."""
    value: Any = None
    while True:
        try:
            step = flow.send(value)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        value = await perform(step)


def drive(flow: Flow, perform: Callable[[Step], Any]) -> Outcome:
    """Run ``flow`` with a sync ``perform`` for each step (sync tools)."""
    value: Any = None
    while True:
        try:
            step = flow.send(value)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        value = perform(step)
