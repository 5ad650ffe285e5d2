"""Loading: ToolSpec conventions, unique names, filters, placeholders, failing servers."""

from __future__ import annotations

import asyncio

import pytest
from llama_index.core.tools import FunctionTool
from llama_index.core.tools.tool_spec.base import BaseToolSpec

import mcp_gateway_tools.llamaindex as li
from mcp_gateway_tools import (
    AuthorizationRequired,
    Gateway,
    MissingUserToken,
    ToolLoadWarning,
    user_token,
)
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.llamaindex import GatewayTool, GatewayToolSpec
from tests.support.through import Through


def test_public_names() -> None:
    assert set(li.__all__) >= {
        "GatewayToolSpec",
        "GatewayTool",
        "AuthorizationRequiredEvent",
        "AuthorizationCompletedEvent",
    }
    for name in li.__all__:
        assert getattr(li, name) is not None


async def test_follows_tool_spec_conventions(service_gateway: Gateway, through: Through) -> None:
    spec = GatewayToolSpec(service_gateway, ["knowledge", "search"])
    assert isinstance(spec, BaseToolSpec)
    tools = await through.to_tool_list(
        spec,
    )
    assert all(isinstance(t, GatewayTool) and isinstance(t, FunctionTool) for t in tools)
    names = [t.metadata.name for t in tools]
    assert {"search_docs", "get_article", "get_diagram", "kb_whoami", "web_search"} <= set(names)
    assert len(names) == len(set(names))
    only = await through.to_tool_list(spec, spec_functions=["web_search"])
    assert [t.metadata.name for t in only] == ["web_search"]


async def test_names_are_unique_across_servers(
    alice: str, gateway: Gateway, through: Through
) -> None:
    # The virtual server repeats knowledge's tools: every clashing name is qualified.
    spec = GatewayToolSpec(gateway, ["knowledge", "workspace"])
    with user_token(alice):
        tools = await through.to_tool_list(
            spec,
        )
    names = [t.metadata.name for t in tools]
    assert len(names) == len(set(names))
    assert {"knowledge_search_docs", "workspace_search_docs"} <= set(names)
    by_name = {t.metadata.name: t for t in tools}
    assert by_name["knowledge_search_docs"].spec.mcp_name == "search_docs"
    assert by_name["workspace_search_docs"].server == "workspace"


async def test_tool_filter_and_prefix(service_gateway: Gateway, through: Through) -> None:
    spec = GatewayToolSpec(
        service_gateway,
        ["knowledge", "search"],
        tool_filter={"block": ["kb_whoami", "search/search_whoami"]},
        name_prefix="gw",
    )
    names = {
        t.metadata.name
        for t in await through.to_tool_list(
            spec,
        )
    }
    assert "gw_search_docs" in names
    assert not {"gw_kb_whoami", "gw_search_whoami"} & names
    only = GatewayToolSpec(
        service_gateway, ["knowledge"], tool_filter=lambda t: "article" in t.name
    )
    assert [
        t.metadata.name
        for t in await through.to_tool_list(
            only,
        )
    ] == ["get_article"]


async def test_unconsented_server_becomes_an_authorize_tool(
    dev: DevGateway, alice: str, gateway: Gateway, through: Through
) -> None:
    spec = GatewayToolSpec(gateway, ["mail", "knowledge"])
    with user_token(alice):
        tools = await through.to_tool_list(
            spec,
        )
    by_name = {t.metadata.name: t for t in tools}
    assert "search_docs" in by_name
    placeholder = by_name["authorize_mail"]
    assert placeholder.is_placeholder
    assert "authorization" in placeholder.metadata.description
    with user_token(alice):
        out = await through.call(
            placeholder,
        )
    assert out.raw_output["type"] == "authorization_required"
    assert "/consent/" in out.raw_output["authorization_urls"]["mail"]
    await dev.aconsent("alice", "mail")
    with user_token(alice):
        out = await through.call(
            placeholder,
        )
        assert out.raw_output == {"type": "authorized", "server": "mail"}
        # After consent, a reload lists the real tools.
        names = {t.metadata.name for t in await through.to_tool_list(spec, refresh=True)}
    assert {"list_messages", "send_message", "search_docs"} <= names
    assert "authorize_mail" not in names


async def test_raise_policy_raises_at_load(alice: str, gateway: Gateway, through: Through) -> None:
    spec = GatewayToolSpec(gateway, ["mail"], on_authorization_required="raise")
    with user_token(alice), pytest.raises(AuthorizationRequired):
        await through.to_tool_list(
            spec,
        )


async def test_one_failing_server_never_hides_the_others(
    dev: DevGateway, service_gateway: Gateway, through: Through
) -> None:
    # "nosuch" is unknown to the gateway (404); knowledge still loads.
    spec = GatewayToolSpec(service_gateway, ["nosuch", "knowledge"])
    with pytest.warns(ToolLoadWarning, match="nosuch"):  # left out loudly, typed
        names = {
            t.metadata.name
            for t in await through.to_tool_list(
                spec,
            )
        }
    assert "search_docs" in names
    assert type(spec.load_errors["nosuch"]).__name__ == "UnknownServer"


async def test_loading_needs_an_identity(gateway: Gateway, through: Through) -> None:
    with pytest.raises(MissingUserToken):
        await through.to_tool_list(
            GatewayToolSpec(gateway, ["knowledge"]),
        )


async def test_load_with_an_explicit_token(alice: str, gateway: Gateway, through: Through) -> None:
    tools = await through.to_tool_list(GatewayToolSpec(gateway, ["knowledge"]), token=alice)
    assert tools


async def test_sync_to_tool_list_inside_a_running_loop(dev: DevGateway) -> None:
    # Like a Jupyter cell: a loop is running, yet the sync API must work.
    asyncio.get_running_loop()
    gw = Gateway(dev.base_url, token=dev.tokens.service)
    try:
        tools = GatewayToolSpec(gw, "knowledge").to_tool_list()
        article = next(t for t in tools if t.metadata.name == "get_article")
        out = article.call(article_id="kb-1")
        assert out.raw_output["id"] == "kb-1"
        assert not out.is_error
    finally:
        gw.close()
        await gw.aclose()


def test_sync_everything_in_a_plain_script(dev_server: DevGateway) -> None:
    gw = Gateway(dev_server.url("knowledge"), token=dev_server.tokens.service)
    try:
        spec = GatewayToolSpec(gw)  # the Gateway's own server
        assert spec.servers == ["knowledge"]
        tools = {t.metadata.name: t for t in spec.to_tool_list()}
        out = tools["search_docs"](query="vpn")
        assert "kb-" in out.content
    finally:
        gw.close()


def test_repr_names_servers_not_tokens(dev_server: DevGateway) -> None:
    gw = Gateway(dev_server.base_url, token=dev_server.tokens.service)
    spec = GatewayToolSpec(gw, ["knowledge"])
    assert dev_server.tokens.service not in repr(spec)
    assert "knowledge" in repr(spec)
