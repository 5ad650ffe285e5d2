"""Property-based tests: arbitrary gateway input never raises anything undocumented.

- the authorization parsers (``_auth``) and the failure classifier (``_classify``):
  any body, any elicitation list, any status and headers -> AuthorizationRequired,
  ProtocolError / InvalidAuthorizationUrl, or a classified Failure; every link that
  gets through is an absolute http(s) URL;
- JSON-schema handling: ``validate_arguments`` with any schema and any arguments
  raises InvalidArguments or nothing; both adapters build a tool from any schema;
- ``unique_names``: any (server, tool) pairs -> as many names, unique, provider-safe.
"""

from __future__ import annotations

import re
import string
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from mcp.shared.exceptions import MCPError

from mcp_gateway_tools import (
    AuthorizationRequired,
    Gateway,
    GatewayError,
    InvalidArguments,
    ProtocolError,
    ToolInfo,
    ToolSpec,
)
from mcp_gateway_tools._auth import (
    from_elicitations,
    from_gateway_body,
    is_auth_required_body,
    validate_url,
)
from mcp_gateway_tools._classify import classify
from mcp_gateway_tools._toolset import unique_names, validate_arguments
from mcp_gateway_tools._transport import HTTP_ERROR_MARKER

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- strategies ----------------------------------------------------------------------

# No NaN: it is not JSON, and NaN != NaN would make the equality checks below meaningless.
json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
url_like = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda scheme, rest: scheme + rest,
        st.sampled_from(
            [
                "http://",
                "https://",
                "HTTPS://",
                "javascript:",
                "data:",
                "//",
                "/",
                "ftp://",
                "http://[",
                "https://[::1",
                "http://u:p@",
                " https://",
                "https:/",
                "",
            ]
        ),
        st.text(alphabet=string.printable + "é[]@:%\u202e\x00", max_size=30),
    ),
)
maybe_urls = st.one_of(
    st.dictionaries(st.text(max_size=10), url_like | json_values, max_size=4),
    json_values,
)
consent_bodies = st.fixed_dictionaries(
    {},
    optional={
        "error": st.one_of(
            st.fixed_dictionaries(
                {"type": st.just("McpAuthRequiredError")}, optional={"message": json_values}
            ),
            json_values,
        ),
        "message": json_values,
        "authorization_urls": maybe_urls,
        "server_names": st.dictionaries(st.text(max_size=10), json_values, max_size=4)
        | json_values,
    },
)
elicitations = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {},
            optional={
                "mode": st.sampled_from(["url", "form", 3, None]),
                "elicitationId": json_values,
                "elicitation_id": json_values,
                "url": url_like | json_values,
                "message": json_values,
            },
        ),
        json_values,
    ),
    max_size=5,
)


def assert_safe_links(error: AuthorizationRequired) -> None:
    assert error.authorization_urls
    for key, url in error.authorization_urls.items():
        parts = urlsplit(url)
        assert parts.scheme.lower() in ("http", "https")
        assert parts.netloc
        assert not any(ch.isspace() or ord(ch) < 32 for ch in url)
        assert key in error.server_names
    text = error.render_text()
    assert all(url in text for url in error.authorization_urls.values())
    observation = error.to_observation()
    assert observation["type"] == "authorization_required"


# -- authorization parsing -----------------------------------------------------------


@SETTINGS
@given(body=consent_bodies | json_values, service=st.booleans())
def test_any_401_body_gives_a_consent_observation_or_a_protocol_error(
    body: Any, service: bool
) -> None:
    recognised = is_auth_required_body(body)
    assert isinstance(recognised, bool)
    if not isinstance(body, dict):
        return
    try:
        error = from_gateway_body(body, server="mail", service_token=service)
    except ProtocolError:  # includes InvalidAuthorizationUrl
        return
    assert isinstance(error, AuthorizationRequired)
    assert_safe_links(error)


@SETTINGS
@given(items=elicitations, service=st.booleans(), message=st.none() | st.text(max_size=20))
def test_any_elicitation_list_gives_a_consent_observation_or_a_protocol_error(
    items: list[Any], service: bool, message: str | None
) -> None:
    try:
        error = from_elicitations(items, server="drive", service_token=service, message=message)
    except ProtocolError:
        return
    assert_safe_links(error)


@SETTINGS
@example(url="http://[")  # urlsplit raises ValueError on these
@example(url="https://[::1")
@example(url="https://host:99999/")
@given(url=url_like | json_values)
def test_a_link_is_returned_only_if_it_is_an_absolute_http_url(url: Any) -> None:
    try:
        checked = validate_url(url, "mail")
    except ProtocolError:
        return
    parts = urlsplit(checked)
    assert parts.scheme.lower() in ("http", "https")
    assert parts.netloc


statuses = st.one_of(st.none(), st.integers(min_value=0, max_value=1000), json_values)
headers = st.dictionaries(
    st.sampled_from(["retry-after", "Retry-After", "content-type", "x"]),
    st.text(max_size=40) | json_values,
    max_size=3,
)


@SETTINGS
@given(
    code=st.integers(min_value=-33000, max_value=1000) | st.sampled_from([-32042, -32700, -32600]),
    text=st.text(max_size=40),
    data=st.one_of(
        json_values,
        st.fixed_dictionaries(
            {HTTP_ERROR_MARKER: st.just(True), "status": statuses},
            optional={
                "body": consent_bodies | json_values,
                "headers": headers | json_values,
                "timeout": json_values,
                "may_have_reached_server": json_values,
            },
        ),
        st.fixed_dictionaries({"elicitations": elicitations | json_values}),
    ),
    service=st.booleans(),
    phase=st.sampled_from(["connect", "call"]),
)
def test_any_mcp_error_is_classified_as_a_gateway_error(
    code: int, text: str, data: Any, service: bool, phase: Any
) -> None:
    try:
        failure = classify(
            MCPError(code, text, data), server="mail", service_token=service, phase=phase
        )
    except ProtocolError:  # a consent request without a usable link: raised as is
        return
    assert isinstance(failure.error, GatewayError)
    if isinstance(failure.error, AuthorizationRequired):
        assert_safe_links(failure.error)


# -- JSON schemas ----------------------------------------------------------------------

schema_keywords = st.sampled_from(
    ["type", "properties", "required", "items", "enum", "const", "anyOf", "oneOf", "allOf",
     "not", "$ref", "$defs", "definitions", "$schema", "$id", "pattern", "format", "minimum",
     "maximum", "additionalProperties", "minLength", "maxItems", "if", "then", "else",
     "dependentRequired", "patternProperties", "uniqueItems", "multipleOf"]
)  # fmt: skip
schema_values = st.one_of(
    json_values,
    st.sampled_from(
        [
            "object",
            "string",
            "integer",
            "array",
            "#",
            "#/nope",
            "#/$defs/x",
            "[",
            "(?P<",
            "https://json-schema.org/draft/2020-12/schema",
            "http://example.com/remote.json",
            "date-time",
            "email",
            "regex",
            ["string", "null"],
        ]
    ),
)
schemas = st.recursive(
    st.dictionaries(schema_keywords, schema_values, max_size=4),
    lambda inner: st.dictionaries(
        schema_keywords,
        st.one_of(
            schema_values,
            inner,
            st.lists(inner, max_size=3),
            st.dictionaries(st.text(max_size=5), inner, max_size=3),
        ),
        max_size=4,
    ),
    max_leaves=10,
)


def make_spec(schema: dict[str, Any], name: str = "tool") -> ToolSpec:
    info = ToolInfo("server", name, "A tool.", schema)
    return ToolSpec("server", name, name, "A tool.", schema, info)


@pytest.mark.filterwarnings("ignore:The metaschema specified by:DeprecationWarning")
@SETTINGS
@example(schema={"$schema": []}, arguments={})  # jsonschema: TypeError
@example(schema={"$schema": 1}, arguments={})  # jsonschema: AttributeError
@example(schema={"$ref": "#/nope"}, arguments={})  # a dangling reference
@example(schema={"properties": {"a": {"$ref": "#/$defs/x"}}}, arguments={"a": 1})
@example(schema={"properties": {"a": {"$ref": "http://example.com/s.json"}}}, arguments={"a": 1})
@given(schema=schemas, arguments=st.dictionaries(st.text(max_size=8), json_values, max_size=4))
def test_argument_validation_with_any_schema_raises_only_invalid_arguments(
    schema: dict[str, Any], arguments: dict[str, Any]
) -> None:
    message = "valid"
    try:
        validate_arguments(make_spec(schema), arguments)
    except InvalidArguments as exc:
        message = exc.message
    assert message == "valid" or message.startswith("Invalid arguments for tool")


@pytest.fixture(scope="module")
def offline_gateway() -> Gateway:
    """A Gateway that is never called (building tools opens no connection)."""
    return Gateway("http://127.0.0.1:9", token="unused-service-token")


@SETTINGS
@given(schema=schemas, name=st.text(min_size=1, max_size=70))
def test_both_adapters_build_a_tool_from_any_schema(
    offline_gateway: Gateway, schema: dict[str, Any], name: str
) -> None:
    from mcp_gateway_tools.langchain import GatewayTool as LangChainTool
    from mcp_gateway_tools.llamaindex import GatewayTool as LlamaIndexTool

    [safe] = unique_names([("server", name)])
    spec = make_spec(schema, safe)
    lc = LangChainTool.from_spec(offline_gateway, spec)
    assert isinstance(lc.args_schema, dict)
    for key, value in schema.items():  # only open objects gain additionalProperties
        if key != "properties":
            assert lc.args_schema[key] == value
    li = LlamaIndexTool(offline_gateway, spec)
    parameters = li.metadata.get_parameters_dict()
    assert parameters["type"] == schema.get("type", "object")
    assert li.metadata.fn_schema is not None
    assert li.metadata.fn_schema.model_json_schema() == parameters


# -- names -----------------------------------------------------------------------------

colliding = st.text(alphabet="ab_2s.-/ é", max_size=6)
names = colliding | st.text(max_size=80)
SAFE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@SETTINGS
@example(pairs=[("s", "x"), ("s", "x"), ("t", "s_x_2")], prefix=None)  # was: s_x_2 twice
@example(pairs=[("s", "x"), ("s", "x"), ("s", "x_2")], prefix=None)
@example(pairs=[("a", "t" * 70), ("b", "t" * 70), ("a", "t" * 70)], prefix="p" * 10)
@given(
    pairs=st.lists(st.tuples(colliding | st.text(max_size=10), names), max_size=12),
    prefix=st.none() | colliding,
)
def test_unique_names_are_unique_provider_safe_and_one_per_tool(
    pairs: list[tuple[str, str]], prefix: str | None
) -> None:
    result = unique_names(pairs, prefix)
    assert len(result) == len(pairs)
    assert all(SAFE.match(n) for n in result), result
    assert len(set(result)) == len(result), (pairs, result)
    assert unique_names(pairs, prefix) == result  # deterministic


@SETTINGS
@given(pairs=st.lists(st.tuples(colliding, colliding), min_size=1, max_size=8, unique=True))
def test_a_tool_keeps_its_plain_name_when_no_other_server_has_it(
    pairs: list[tuple[str, str]],
) -> None:
    result = unique_names(pairs)
    plain = [re.sub(r"[^A-Za-z0-9_-]+", "_", t).strip("_") or "tool" for _, t in pairs]
    assume(len(set(plain)) == len(plain))
    assert result == [p[:64] if len(p) <= 64 else result[i] for i, p in enumerate(plain)]
