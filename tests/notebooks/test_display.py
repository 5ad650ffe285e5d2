"""``mcp_gateway_tools.notebook``: links rendered clickable, escaped, http(s) only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from mcp_gateway_tools import AuthorizationRequired, InvalidAuthorizationUrl
from mcp_gateway_tools.notebook import AuthorizationLinks, authorization_links, show_authorization

LINK = "https://gw.example.com/consent/abc?x=1&y=2"


def _error() -> AuthorizationRequired:
    return AuthorizationRequired(
        "Authorize <Mail> & co",
        authorization_urls={"mail": LINK},
        server_names={"mail": "Mail <b>"},
    )


@dataclass
class FakeToolMessage:
    artifact: Any


@dataclass
class FakeEvent:
    authorization_urls: dict[str, str]
    server_names: dict[str, str] = field(default_factory=dict)
    message: str = ""


@pytest.mark.parametrize(
    "source",
    [
        _error(),
        _error().to_observation(),
        {**_error().to_observation(), "tool": "list_messages", "server": "mail"},
        FakeToolMessage(_error().to_observation()),
        FakeEvent({"mail": LINK}, {"mail": "Mail <b>"}, "Authorize <Mail> & co"),
    ],
    ids=["exception", "observation", "event-payload", "tool-message", "workflow-event"],
)
def test_every_source_gives_the_same_links(source: Any) -> None:
    links = authorization_links(source)
    assert links.authorization_urls == {"mail": LINK}
    assert links.server_names == {"mail": "Mail <b>"}


def test_html_is_escaped_and_clickable() -> None:
    page = authorization_links(_error())._repr_html_()
    assert '<a href="https://gw.example.com/consent/abc?x=1&amp;y=2"' in page
    assert 'rel="noopener noreferrer"' in page
    assert "Authorize Mail &lt;b&gt;</a>" in page
    assert "Authorize &lt;Mail&gt; &amp; co" in page
    assert "<b>" not in page
    assert "<Mail>" not in page


def test_markdown_and_text() -> None:
    links = authorization_links(_error())
    assert f"(<{LINK}>)" in links._repr_markdown_()
    assert str(links).splitlines()[1] == f"  Mail <b>: {LINK}"


@pytest.mark.parametrize(
    "bad",
    [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "/consent/relative",
        "//host/no-scheme",
        "https://gw.example.com/a b",
        "",
    ],
)
def test_only_absolute_http_links_are_shown(bad: str) -> None:
    with pytest.raises(InvalidAuthorizationUrl):
        authorization_links({"type": "authorization_required", "authorization_urls": {"x": bad}})
    with pytest.raises(InvalidAuthorizationUrl):
        AuthorizationLinks({"x": bad})


def test_not_an_authorization_request() -> None:
    with pytest.raises(ValueError, match="no authorization request"):
        authorization_links({"type": "result"})
    with pytest.raises(ValueError, match="no links"):
        authorization_links({"authorization_urls": {}})


def test_show_prints_outside_ipython(capsys: pytest.CaptureFixture[str]) -> None:
    shown = show_authorization(_error().to_observation())
    assert isinstance(shown, AuthorizationLinks)
    assert LINK in capsys.readouterr().out
