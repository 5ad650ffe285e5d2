"""Give the model the tool's MCP input schema exactly as the server wrote it.

LlamaIndex shows a tool's parameters through ``ToolMetadata.get_parameters_dict()``
(function-calling agents, ``to_openai_tool``) and ``fn_schema_str`` (the ReAct
prompt), both derived from a pydantic ``fn_schema``. Rebuilding a pydantic model from
JSON Schema, as the stock MCP spec does, loses inline nested objects, enum
definitions, ``anyOf`` and defaults. Here the metadata returns the MCP schema itself
(deep-copied, so nobody can mutate the shared spec), and ``fn_schema`` is a permissive
model whose ``model_json_schema()`` returns the same, for integrations that read it
directly. Arguments are checked against the real schema by the core before sending.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any

from llama_index.core.tools import ToolMetadata
from pydantic import BaseModel, ConfigDict

__all__ = ["GatewayToolMetadata", "model_schema", "schema_model"]

_DROP = ("$schema",)  # a meta key, no help to a model; some providers reject it
_CLASS_NAME = re.compile(r"[^A-Za-z0-9_]")


def model_schema(input_schema: dict[str, Any]) -> dict[str, Any]:
    """The schema a model sees: the MCP schema, as an object schema with properties."""
    schema = {k: copy.deepcopy(v) for k, v in input_schema.items() if k not in _DROP}
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    return schema


_models: dict[tuple[str, str], type[BaseModel]] = {}
_MAX_MODELS = 4096


def schema_model(name: str, input_schema: dict[str, Any]) -> type[BaseModel]:
    """A pydantic model that accepts any arguments and reports the MCP schema.

    Models are shared by (name, schema): building a pydantic class costs ~0.4 ms, which
    made every ``to_tool_list_async()`` of 250 tools cost ~100 ms even with the listing
    cached. The class holds nothing but the schema and hands out copies of it.
    """
    try:
        key = (name, json.dumps(input_schema, sort_keys=True))
    except (TypeError, ValueError):  # not plain JSON: build it, do not cache
        return _build_model(name, input_schema)
    model = _models.get(key)
    if model is None:
        if len(_models) >= _MAX_MODELS:
            _models.clear()
        model = _models[key] = _build_model(name, input_schema)
    return model


def _build_model(name: str, input_schema: dict[str, Any]) -> type[BaseModel]:
    frozen = model_schema(input_schema)

    class _Arguments(BaseModel):
        model_config = ConfigDict(extra="allow")

        @classmethod
        def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
            return copy.deepcopy(frozen)

    _Arguments.__name__ = _Arguments.__qualname__ = _CLASS_NAME.sub("_", name) + "Arguments"
    return _Arguments


@dataclass
class GatewayToolMetadata(ToolMetadata):
    """``ToolMetadata`` whose parameters are the MCP input schema, unabridged."""

    input_schema: dict[str, Any] = field(default_factory=dict)

    def get_parameters_dict(self) -> dict[str, Any]:
        return model_schema(self.input_schema)
