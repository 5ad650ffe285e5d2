"""schema_model shares one pydantic class per (tool name, schema): re-listing tools
must not rebuild hundreds of classes, and sharing must never mix two schemas."""

from __future__ import annotations

from typing import Any

from mcp_gateway_tools.llamaindex._schema import schema_model

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"text": {"type": "string"}, "n": {"type": "integer", "default": 1}},
    "required": ["text"],
}


def test_same_name_and_schema_share_one_model() -> None:
    first = schema_model("echo", SCHEMA)
    again = schema_model("echo", {**SCHEMA})  # equal, not the same object
    assert again is first
    assert first.model_json_schema() == SCHEMA


def test_key_order_does_not_matter() -> None:
    reordered = dict(reversed(list(SCHEMA.items())))
    assert schema_model("echo", reordered) is schema_model("echo", SCHEMA)


def test_a_different_schema_or_name_gets_its_own_model() -> None:
    other = {**SCHEMA, "required": ["text", "n"]}
    assert schema_model("echo", other) is not schema_model("echo", SCHEMA)
    assert schema_model("echo", other).model_json_schema()["required"] == ["text", "n"]
    assert schema_model("echo_too", SCHEMA) is not schema_model("echo", SCHEMA)
    assert schema_model("echo_too", SCHEMA).__name__ == "echo_tooArguments"


def test_a_shared_model_hands_out_copies() -> None:
    model = schema_model("echo", SCHEMA)
    model.model_json_schema()["properties"]["text"]["type"] = "tampered"
    assert model.model_json_schema()["properties"]["text"]["type"] == "string"
    assert SCHEMA["properties"]["text"]["type"] == "string"


def test_a_schema_that_is_not_json_still_works() -> None:
    odd = {"type": "object", "properties": {"when": {"default": object()}}}
    model = schema_model("odd", odd)
    assert model is not schema_model("odd", odd)  # built, not cached
    assert model(when=1).model_extra == {"when": 1}
