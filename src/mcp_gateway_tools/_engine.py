"""The one policy engine for "the user must act", driven by both adapters.

A tool call is one generator, :func:`tool_flow`: it yields *steps* (call the gateway,
tell the app, ask the app's callback, pause for the user) and receives their
outcomes, the way httpx drives one ``auth_flow`` generator from its sync and async
clients. Everything that decides lives here; an adapter only performs the steps in
its framework (LangGraph ``interrupt``, LlamaIndex ``wait_for_event``, custom events,
workflow stream events) and renders the final :data:`Outcome`.

Policies (per request kind, see :data:`Policy`):

- ``"observation"``: tell the model in the tool's output (for a form: the server gets
  ``decline`` and the model learns what was asked);
- ``"pause"`` (LangChain ``"interrupt"``, LlamaIndex ``"wait"``): pause the run until
  the app answers, then go on with the answer;
- ``"auto"``: ``"pause"`` where the run can pause, else ``"observation"``;
- ``"raise"``: the typed error (:class:`AuthorizationRequired`, :class:`InputRequired`,
  :class:`ApprovalRequired`) propagates out of the agent;
- ``"decline"``: headless: decline forms / reject approvals / stop at consent, and say
  so to the model;
- a callable: the app answers programmatically (sync or async; None = not answered).

Whatever the policy, the app is notified once per request shown or paused on
(:class:`Notify`). An app callback that raises is logged with its traceback and treated
as "not answered", in both adapters: the tool never fails because of it.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._content import ToolInfo, ToolResult
from ._errors import (
    ApprovalRequired,
    AuthorizationRequired,
    ConfigurationError,
    GatewayError,
    InputRequired,
)
from ._interactions import (
    Answer,
    ApprovalRequest,
    AuthorizationRequest,
    InputRequest,
    InteractionHandler,
    UserActionRequest,
    authorization_request,
    parse_answer,
    request_id,
    safe_text,
)
from ._steps import (
    POLICY_NAMES,
    ApprovalRule,
    Ask,
    Call,
    Failure,
    Flow,
    Notify,
    Observation,
    Outcome,
    Pause,
    Policies,
    Policy,
    Raise,
    Result,
    Step,
    adrive,
    drive,
    normalize_policy,
)

__all__ = [
    "POLICY_NAMES",
    "ApprovalRule",
    "Ask",
    "Call",
    "Failure",
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
    "ask_app",
    "drive",
    "needs_approval",
    "normalize_policy",
    "tool_flow",
]

logger = logging.getLogger("mcp_gateway_tools.interactions")


# -- approval ------------------------------------------------------------------------


def _hint(annotations: Mapping[str, Any], camel: str, snake: str) -> Any:
    return annotations.get(camel, annotations.get(snake))


def needs_approval(
    rule: ApprovalRule, info: ToolInfo | None, name: str, arguments: Mapping[str, Any]
) -> bool:
    """Whether this call waits for a person, decided before anything is sent."""
    if rule is None or rule is False or info is None:
        return False
    if rule is True:
        return True
    if callable(rule):
        return bool(rule(info, dict(arguments)))
    annotations = info.annotations or {}
    read_only = _hint(annotations, "readOnlyHint", "read_only_hint") is True
    if rule == "destructive":
        return (
            not read_only and _hint(annotations, "destructiveHint", "destructive_hint") is not False
        )
    if rule == "not_read_only":
        return not read_only
    if rule == "open_world":
        return _hint(annotations, "openWorldHint", "open_world_hint") is not False
    if isinstance(rule, str):
        raise ConfigurationError(f"unknown approval rule {rule!r}")
    names = set(rule)
    return bool(names & {name, info.name, f"{info.server}/{info.name}"})


# -- the flow ------------------------------------------------------------------------


@dataclass
class CallContext:
    """What the flow knows about the call: the tool, its spec, whether it can pause."""

    tool: str
    server: str
    mcp_name: str
    arguments: dict[str, Any]
    info: ToolInfo | None
    can_pause: bool
    policies: Policies
    pause_falls_back: bool = False
    """An explicit pause policy where the run cannot pause: observation (LlamaIndex,
    a tool called outside a workflow) rather than the adapter's ConfigurationError."""
    declined: list[InputRequest] = field(default_factory=list)

    def effective(self, policy: Policy) -> Policy:
        if policy == "auto" or (policy == "pause" and self.pause_falls_back):
            return "pause" if self.can_pause else "observation"
        return policy


def tool_flow(ctx: CallContext) -> Flow:
    """One tool call under the policies: approval, then the call and what it meets."""
    arguments = dict(ctx.arguments)
    approval = yield from _approval(ctx, arguments)
    if not isinstance(approval, dict):
        return approval
    arguments = approval
    edited = arguments != ctx.arguments
    input_policy = ctx.effective(ctx.policies.input)
    handler = _in_call_handler(ctx, input_policy)
    answers: dict[str, Answer] = {}
    retried: set[str] = set()
    for _ in range(4):  # a few distinct questions per call, never an endless loop
        outcome = yield Call(arguments, dict(answers), handler, "raise", edited)
        if not isinstance(outcome, GatewayError):
            for declined in ctx.declined:
                if declined.request_id not in answers:  # declined in the call: tell the app
                    yield Notify(declined)
            return _result(outcome, ctx.declined)
        if isinstance(outcome, AuthorizationRequired):
            consent = authorization_request(
                outcome, tool=ctx.tool, server=ctx.server, arguments=arguments
            )
            if consent.request_id in retried:  # the user said done, yet it still asks
                yield Notify(consent)
                return _authorization_observation(consent)
            policy = ctx.effective(ctx.policies.authorization)
            if callable(policy) and consent.url_elicitation:
                policy = "observation"  # the callback was asked in the call and passed
            answer = yield from _ask(consent, policy)
            if isinstance(answer, Raise | Observation):
                return answer if isinstance(answer, Raise) else _authorization_observation(consent)
            if not answer.proceeds:
                return _declined(consent, answer)
            retried.add(consent.request_id)
            answers[consent.request_id] = Answer.accept()
            continue
        if isinstance(outcome, InputRequired):
            request = outcome.request
            asked = "observation" if callable(input_policy) else input_policy  # asked in call
            answer = yield from _ask(request, asked)
            if isinstance(answer, Raise):
                return answer
            if isinstance(answer, Observation):  # asked, not answered: decline, say so
                answer = Answer.decline()
                ctx.declined.append(request)
            answers[request.request_id] = answer
            continue
        return Failure(outcome)
    return Failure(GatewayError("The server kept asking for input; the call was stopped."))


def _in_call_handler(ctx: CallContext, input_policy: Policy) -> InteractionHandler | None:
    """What answers inside the call: the app's callbacks, or "decline and note it"."""
    auth_policy = ctx.policies.authorization

    def handler(request: UserActionRequest) -> Any:
        if isinstance(request, InputRequest):
            if callable(input_policy):
                return _guarded(input_policy, request)
            if input_policy in ("observation", "decline"):
                ctx.declined.append(request)
                return Answer.decline()
            return None
        if callable(auth_policy):
            return _guarded(auth_policy, request)
        return None

    return handler


async def _guarded_async(handler: InteractionHandler, request: UserActionRequest) -> Any:
    try:
        value = handler(request)
        if hasattr(value, "__await__"):
            value = await value
        return value
    except Exception:
        logger.exception("interaction callback failed kind=%s tool=%s", request.kind, request.tool)
        return None


def _guarded(handler: InteractionHandler, request: UserActionRequest) -> Any:
    """Run an app callback inside the call (the core awaits what this returns)."""
    return _guarded_async(handler, request)


def _ask(
    request: UserActionRequest, policy: Policy
) -> Generator[Step, Any, Answer | Raise | Observation]:
    """Apply ``policy`` to one request: an Answer, or how the call ends without one."""
    if callable(policy):
        yield Notify(request)
        value = yield Ask(policy, request)
        if value is None:
            return Observation("", {})
        return _parsed(request, value)
    if policy == "pause":
        value = yield Pause(request)
        return _parsed(request, value)
    yield Notify(request)
    if policy == "raise":
        return Raise(_error_for(request))
    if policy == "decline" and isinstance(request, ApprovalRequest):
        return Answer.reject("no one was available to approve it")
    if policy == "decline" and isinstance(request, InputRequest):
        return Answer.decline()
    return Observation("", {})  # consent cannot be declined for the user: show the links


def _parsed(request: UserActionRequest, value: object) -> Answer:
    try:
        return parse_answer(request, value)
    except ValueError as exc:
        raise ConfigurationError(f"The answer to {request.request_id} is not valid: {exc}") from exc


def _error_for(request: UserActionRequest) -> GatewayError:
    if isinstance(request, AuthorizationRequest):
        return request.error or AuthorizationRequired(
            request.message,
            authorization_urls=dict(request.authorization_urls),
            server_names=dict(request.server_names),
            server=request.server,
        )
    if isinstance(request, InputRequest):
        return InputRequired(request)
    return ApprovalRequired(request)


def _approval(
    ctx: CallContext, arguments: dict[str, Any]
) -> Generator[Step, Any, Outcome | dict[str, Any]]:
    if not needs_approval(ctx.policies.approval_rule, ctx.info, ctx.tool, arguments):
        return arguments
    request = ApprovalRequest(
        request_id=request_id("approval", ctx.server, ctx.tool, arguments),
        server=ctx.server,
        tool=ctx.tool,
        mcp_name=ctx.mcp_name,
        arguments=dict(arguments),
        annotations=dict((ctx.info.annotations if ctx.info else None) or {}),
        message=f"The assistant wants to call {ctx.tool} on {ctx.server}.",
    )
    answer = yield from _ask(request, ctx.effective(ctx.policies.approval))
    if isinstance(answer, Raise):
        return answer
    if isinstance(answer, Observation):
        return Observation(
            f"Calling {ctx.tool} needs the user's approval, which could not be asked for "
            "here; it was not called. Ask the user to confirm before trying again.",
            {**request.to_dict(), "type": "approval_required"},
        )
    if answer.action == "edit" and answer.arguments is not None:
        return dict(answer.arguments)
    if answer.proceeds:
        return arguments
    return _declined(request, answer)


# -- texts: one place, so both adapters say the same -----------------------------------


def _result(result: ToolResult, declined: list[InputRequest]) -> Result:
    notes = tuple(
        f'The server asked the user: "{r.message}" (fields: '
        f"{', '.join(_fields(r)) or 'none'}). No one could answer here, so it was declined."
        for r in declined
    )
    return Result(result, notes, tuple(r.to_dict() for r in declined))


def _fields(request: InputRequest) -> list[str]:
    properties = request.requested_schema.get("properties")
    return [safe_text(k, 80) for k in properties] if isinstance(properties, Mapping) else []


def _authorization_observation(request: AuthorizationRequest) -> Observation:
    """The consent observation: the error's own text and DESIGN §4 observation dict."""
    error = _error_for(request)
    assert isinstance(error, AuthorizationRequired)
    return Observation(error.render_text(), error.to_observation())


def _declined(request: UserActionRequest, answer: Answer) -> Observation:
    """The user said no: the same words and data in every adapter."""
    data: dict[str, Any] = {**request.to_dict(), "answer": answer.to_dict()}
    if isinstance(request, AuthorizationRequest):
        data["type"] = "authorization_declined"
        text = (
            f"The user chose not to authorize {request.display_name} now. Do not call this "
            "tool again unless the user asks; they can authorize later with these links:\n"
            + "\n".join(f"- {name}: {url}" for name, url in request.links())
        )
    else:
        data["type"] = "approval_rejected"
        reason = f" Reason: {safe_text(answer.reason, 500)}" if answer.reason else ""
        text = (
            f"The user rejected this call of {request.tool}; it was not run.{reason} "
            "Do not call it again unless the user asks."
        )
    return Observation(text, data)


async def ask_app(handler: InteractionHandler, request: UserActionRequest) -> Any:
    """An :class:`Ask` step: run the callback (sync or async); None if it raised."""
    return await _guarded_async(handler, request)
