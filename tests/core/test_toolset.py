"""Neutral tool specs: unique names, filters, validation, authorize placeholders."""

from __future__ import annotations

import pytest

from mcp_gateway_tools import Gateway, InvalidArguments, ToolInfo, ToolLoadWarning
from mcp_gateway_tools._toolset import (
    ToolSpec,
    check_authorization,
    load_tool_specs,
    unique_names,
    validate_arguments,
)
from tests.support.faultgateway import FaultGateway
from tests.support.serving import ThreadedServer


def test_names_shared_by_servers_are_qualified_for_every_server() -> None:
    names = unique_names([("mail", "search"), ("web", "search"), ("mail", "send")])
    assert names == ["mail_search", "web_search", "send"]


def test_names_are_provider_safe_and_at_most_64_characters() -> None:
    names = unique_names([("s", "weird name/with.dots"), ("s", "x" * 100), ("s", "y" * 100)])
    assert names[0] == "weird_name_with_dots"
    assert all(len(n) <= 64 for n in names)
    assert len(set(names)) == 3


def test_prefix_applies_to_every_name() -> None:
    assert unique_names([("s", "a")], prefix="gw") == ["gw_a"]


async def test_filters_allow_block_and_predicate(
    fault_server: ThreadedServer, fault_gateway: FaultGateway
) -> None:
    async with Gateway(fault_server.url, token="t") as gw:
        allowed = await load_tool_specs(gw, ["echo"], tool_filter=["add", "echo/whoami"])
        blocked = await load_tool_specs(gw, ["echo"], tool_filter={"block": ["fail"]})
        predicate = await load_tool_specs(
            gw, ["echo"], tool_filter=lambda t: t.name.startswith("p")
        )
    assert {s.name for s in allowed} == {"add", "whoami"}
    assert "fail" not in {s.name for s in blocked}
    assert "add" in {s.name for s in blocked}
    assert {s.name for s in predicate} == {"picture", "private_tool"}


async def test_a_server_needing_consent_at_load_yields_an_authorize_tool_and_others_still_load(
    fault_server: ThreadedServer, fault_gateway: FaultGateway
) -> None:
    async with Gateway(fault_server.url) as gw:
        # "403" is left out, loudly: a typed warning, never just a log line.
        with pytest.warns(ToolLoadWarning, match="403"):
            specs = await load_tool_specs(gw, ["echo", "consent", "403"], token="user-1")
        placeholder = next(s for s in specs if s.is_placeholder)
        assert placeholder.name == "authorize_consent"
        assert placeholder.authorization is not None
        assert placeholder.authorization.authorization_urls == {}  # shared: no one's link
        assert "Consent Mail" in placeholder.description
        assert "add" in {s.name for s in specs}
        assert await check_authorization(gw, "consent", token="user-1") is not None
        fault_gateway.consented.add("Bearer user-1")
        assert await check_authorization(gw, "consent", token="user-1") is None
        reloaded = await load_tool_specs(gw, ["consent"], token="user-1")
    assert not any(s.is_placeholder for s in reloaded)


SCHEMA = {
    "type": "object",
    "properties": {
        "n": {"type": "integer"},
        "mode": {"enum": ["fast", "slow"]},
        "filter": {"$ref": "#/$defs/Filter"},
    },
    "required": ["n"],
    "$defs": {
        "Filter": {"type": "object", "properties": {"tag": {"type": "string"}}, "required": ["tag"]}
    },
}
SPEC = ToolSpec("s", "t", "t", "d", SCHEMA, ToolInfo("s", "t", "d", SCHEMA))


def test_valid_arguments_pass() -> None:
    validate_arguments(SPEC, {"n": 1, "mode": "fast", "filter": {"tag": "x"}})


def test_invalid_arguments_list_each_problem_with_its_location() -> None:
    with pytest.raises(InvalidArguments) as caught:
        validate_arguments(SPEC, {"mode": "medium", "filter": {}})
    message = str(caught.value)
    assert "'n' is a required property" in message
    assert "at 'mode'" in message
    assert "at 'filter'" in message


def test_an_unreadable_schema_is_left_to_the_server() -> None:
    spec = ToolSpec("s", "t", "t", "d", {"type": 12})
    validate_arguments(spec, {"anything": True})
