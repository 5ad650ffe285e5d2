"""Framework-neutral tool specs: what both adapters build their tools from.

Loading lists each server for the identity at hand and yields one :class:`ToolSpec` per
tool, with a unique, provider-safe name (the MCP name is what reaches the server). A
server that needs consent before it can even be listed yields one ``authorize_<server>``
placeholder instead, and a server that fails otherwise is left out with a typed
warning (or a :class:`~mcp_gateway_tools.ToolLoadError`, by policy): one failing
server never hides the others' tools, and is never dropped silently. Shared lists that
are right for every user come from :class:`~mcp_gateway_tools._catalog.ToolCatalog`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, Literal

import jsonschema
from jsonschema.exceptions import SchemaError
from referencing.exceptions import Unresolvable

from ._content import ToolInfo
from ._errors import AuthorizationRequired, InvalidArguments
from ._tokens import TokenInput

if TYPE_CHECKING:
    from ._gateway import Gateway

__all__ = [
    "AuthorizationOnLoad",
    "ToolFilter",
    "ToolSpec",
    "check_authorization",
    "load_tool_specs",
    "unique_names",
    "validate_arguments",
]

ToolFilter = Sequence[str] | Mapping[str, Sequence[str]] | Callable[[ToolInfo], bool]
"""Names to allow; ``{"allow": [...], "block": [...]}``; or a predicate on ToolInfo.
Names match the MCP tool name or ``"server/name"``."""

AuthorizationOnLoad = Literal["placeholder", "raise"]

MAX_NAME = 64  # the strictest common provider limit (OpenAI, Anthropic)
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


@dataclass(frozen=True)
class ToolSpec:
    """One tool to expose: a gateway tool, or an ``authorize_<server>`` placeholder."""

    server: str
    mcp_name: str
    name: str
    description: str
    input_schema: dict[str, Any]
    info: ToolInfo | None = None
    authorization: AuthorizationRequired | None = None

    @property
    def is_placeholder(self) -> bool:
        return self.info is None

    @cached_property
    def validator(self) -> jsonschema.protocols.Validator | None:
        """The input-schema validator, built once per spec (not per call); None when
        the schema cannot be read, so the server validates instead."""
        try:
            key = json.dumps(self.input_schema, sort_keys=True, default=str)
        except (TypeError, ValueError):
            return None
        return _validator(key)


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("_") or "tool"


def _fit(name: str) -> str:
    """Shorten to MAX_NAME keeping a stable hash of the whole, so shortened names stay unique."""
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME - 9]}_{digest}"


def unique_names(pairs: Sequence[tuple[str, str]], prefix: str | None = None) -> list[str]:
    """Provider-safe unique names for (server, tool) pairs, independent of list order.

    A name shared by several servers is qualified as ``<server>_<tool>`` for every
    server that has it (not just the later ones), so adding a server never renames
    the tools of another arbitrarily; remaining clashes get a numeric suffix.
    """
    base = [_safe(tool) for _, tool in pairs]
    counts = Counter(base)
    names = [
        _safe(f"{server}_{tool}") if counts[b] > 1 else b
        for (server, tool), b in zip(pairs, base, strict=True)
    ]
    if prefix:
        names = [f"{_safe(prefix)}_{n}" for n in names]
    names = [_fit(n) for n in names]
    # A repeated name gets the first free "_<n>" suffix that is neither taken nor
    # another tool's own name (("s", "x") twice and ("t", "s_x_2") must not clash).
    planned = set(names)
    used: set[str] = set()
    result = []
    for name in names:
        candidate, n = name, 1
        while candidate in used or (n > 1 and candidate in planned):
            n += 1
            candidate = _fit(f"{name}_{n}")
        used.add(candidate)
        result.append(candidate)
    return result


def _allowed(info: ToolInfo, tool_filter: ToolFilter | None) -> bool:
    if tool_filter is None:
        return True
    keys = {info.name, f"{info.server}/{info.name}"}
    if callable(tool_filter):
        return bool(tool_filter(info))
    if isinstance(tool_filter, Mapping):
        allow, block = tool_filter.get("allow"), tool_filter.get("block") or ()
        if allow is not None and not keys & set(allow):
            return False
        return not keys & set(block)
    return bool(keys & set(tool_filter))


def _placeholder(server: str, exc: AuthorizationRequired) -> ToolSpec:
    display = exc.display_name or server
    return ToolSpec(
        server=server,
        mcp_name="",
        name=f"authorize_{_safe(server)}",
        description=(
            f"The tools of {display} need the user's authorization before they can be used. "
            "Call this tool to get the authorization link to show the user; once they have "
            "authorized, the tools become available."
        ),
        input_schema=dict(_EMPTY_SCHEMA),
        authorization=exc,
    )


async def load_tool_specs(
    gateway: Gateway,
    servers: Sequence[str],
    *,
    tool_filter: ToolFilter | None = None,
    name_prefix: str | None = None,
    token: TokenInput | None = None,
    on_authorization_required: AuthorizationOnLoad = "placeholder",
    on_server_error: Literal["warn", "raise"] = "warn",
) -> list[ToolSpec]:
    """List every server concurrently for one identity and build the specs, in server
    order (a one-off :class:`~mcp_gateway_tools._catalog.ToolCatalog`: nothing shared)."""
    from ._catalog import ToolCatalog

    catalog = ToolCatalog(
        gateway,
        servers,
        tool_filter=tool_filter,
        name_prefix=name_prefix,
        on_authorization_required=on_authorization_required,
        on_server_error=on_server_error,
    )
    return await catalog.offer(token)


async def check_authorization(
    gateway: Gateway, server: str, *, token: TokenInput | None = None
) -> AuthorizationRequired | None:
    """What an ``authorize_<server>`` placeholder does: None once the user has consented."""
    try:
        await gateway.list_tools(server, token=token, refresh=True)
    except AuthorizationRequired as exc:
        return exc
    return None


@lru_cache(maxsize=1024)
def _validator(schema_json: str) -> jsonschema.protocols.Validator | None:
    """Shared by specs with the same schema (and across reloads of a tool list)."""
    schema = json.loads(schema_json)
    try:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
    except (SchemaError, TypeError, ValueError, AttributeError, LookupError):
        # A schema we cannot read (invalid, or a "$schema" that is not a URI string,
        # which jsonschema fails on with TypeError/AttributeError): leave validation
        # to the server rather than fail the call here.
        return None
    return cls(schema)


def validate_arguments(spec: ToolSpec, arguments: Mapping[str, Any]) -> None:
    """Check ``arguments`` against the tool's input schema before anything is sent.

    Raises InvalidArguments listing each problem and where it is, so a model can fix
    its call; a schema that is itself invalid is not enforced here.
    """
    validator = spec.validator
    if validator is None:
        return
    try:
        errors = sorted(validator.iter_errors(dict(arguments)), key=lambda e: list(e.path))
    except (
        jsonschema.exceptions.ValidationError,
        Unresolvable,  # a "$ref" to nowhere or to a remote document (never fetched)
        RecursionError,
        ValueError,
        TypeError,
    ):
        return
    if not errors:
        return
    problems = []
    for error in errors[:10]:
        where = "/".join(str(p) for p in error.path)
        problems.append(f"at '{where}': {error.message}" if where else error.message)
    raise InvalidArguments(
        f"Invalid arguments for tool {spec.name!r}: " + "; ".join(problems), server=spec.server
    )
