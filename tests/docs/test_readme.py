"""Every README snippet marked ``<!-- readme-test: NAME -->`` runs against the dev gateway.

The README tells the reader which names a snippet expects from the application (a chat
model ``model`` / ``llm``, users' tokens from the request, UI hooks); this harness
provides them: scripted offline models, the dev gateway's tokens, and UI hooks that
complete the consent the way a browser would. Then it checks what the snippet claims.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from mcp_gateway_tools import Gateway
from mcp_gateway_tools.devgateway import DevGateway
from mcp_gateway_tools.langchain.testing import scripted_chat_model
from mcp_gateway_tools.llamaindex.testing import scripted_llm

# llama-index's workflow introspection touches deprecated pydantic attributes.
pytestmark = pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecationWarning")

README = Path(__file__).resolve().parents[2] / "README.md"
_BLOCK = re.compile(r"<!-- readme-test: ([\w-]+) -->\s*```python\n(.*?)```", re.S)


def snippets() -> dict[str, str]:
    return dict(_BLOCK.findall(README.read_text(encoding="utf-8")))


class ConsentUI:
    """The application's UI hooks the snippets call: show a button, wait for the user."""

    def __init__(self, dev: DevGateway, user: str) -> None:
        self.dev, self.user = dev, user
        self.shown: list[dict[str, str]] = []

    def show_consent_button(self, urls: dict[str, str], names: dict[str, str]) -> None:
        assert set(urls) <= set(names)
        self.shown.append(dict(urls))

    async def user_has_consented(self) -> None:
        for server, link in self.shown[-1].items():
            await self.dev.aconsent(self.user, server, link=link)


async def run_snippet(name: str, namespace: dict[str, Any]) -> dict[str, Any]:
    """Run one snippet as the body of a real module (its dataclasses need one)."""
    source = snippets()[name]
    code = compile(source, f"README.md:{name}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    module = types.ModuleType(f"readme_{name.replace('-', '_')}")
    module.__dict__.update(namespace)
    sys.modules[module.__name__] = module
    try:
        result = eval(code, module.__dict__)
        if inspect.iscoroutine(result):
            await result
    finally:
        del sys.modules[module.__name__]
        names = dict(module.__dict__)  # a dropped module's dict is cleared
        for value in names.values():
            if isinstance(value, Gateway):
                await value.aclose()
    return names


def base(dev: DevGateway, monkeypatch: pytest.MonkeyPatch, **extra: Any) -> dict[str, Any]:
    monkeypatch.setenv("MCP_GATEWAY_URL", dev.base_url)
    monkeypatch.setenv("MCP_GATEWAY_TOKEN", dev.tokens.service)
    return dict(extra)


def test_the_readme_reads_top_down_for_a_user_from_a_package_index() -> None:
    """What it is, install, use it with your gateway, scenarios, then a checkout."""
    text = README.read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    order = ["## Install", "## Use it with your gateway", "## Scenarios", "## From a checkout"]
    assert [h for h in headings if h in order] == order
    first_block = text.split("```bash\n", 1)[1].split("```", 1)[0]
    assert first_block.startswith('pip install "mcp-gateway-tools[langchain]"')
    checkout = text.split("## From a checkout", 1)[1]
    commands = checkout.split("```bash\n", 1)[1].split("```", 1)[0]
    assert commands.startswith("make demo")
    assert "\nmake test" in commands
    assert "MCP_GATEWAY_URL" in text.split("## Scenarios", 1)[0]
    assert "mcp-gateway-tools tools knowledge" in text.split("## Scenarios", 1)[0]


def test_every_model_placeholder_names_the_package_it_needs() -> None:
    text = README.read_text(encoding="utf-8")
    for placeholder, package in (
        ('init_chat_model("openai:', "langchain-openai"),
        ('OpenAI(model="', "llama-index-llms-openai"),
    ):
        at = text.index(placeholder)
        assert package in text[at : at + 200], placeholder
    assert "scripted_llm" in text
    assert "scripted_chat_model" in text


def test_the_bench_block_is_there_once() -> None:
    text = README.read_text(encoding="utf-8")
    assert text.count("<!-- bench:start -->") == 1
    assert text.index("<!-- bench:start -->") < text.index("<!-- bench:end -->")


def test_every_marked_snippet_has_a_test() -> None:
    tested = {n.removeprefix("test_").replace("_", "-") for n in globals() if n.startswith("test_")}
    assert set(snippets()) <= tested, set(snippets()) - tested
    assert len(snippets()) >= 6


async def test_first_call(
    dev: DevGateway, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = await run_snippet("first-call", base(dev, monkeypatch))
    out = capsys.readouterr().out
    assert "search_docs - " in out
    assert "kb-3" in ns["result"].text


async def test_langchain_a(
    dev: DevGateway, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    model = scripted_chat_model(("search_docs", {"query": "vpn"}))
    ns = await run_snippet("langchain-a", base(dev, monkeypatch, model=model))
    assert "kb-3: VPN setup" in ns["result"]["messages"][-1].text
    assert "kb-3: VPN setup" in capsys.readouterr().out


async def test_langchain_b(
    dev: DevGateway, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await dev.aconsent("alice", "calendar")
    model = scripted_chat_model(("list_events", {}))
    ns = base(dev, monkeypatch, model=model, alice_token=dev.tokens.user("alice"),
              bob_token=dev.tokens.user("bob"))  # fmt: skip
    ns = await run_snippet("langchain-b", ns)
    out = capsys.readouterr().out
    assert re.search(rf"Connect Calendar: {re.escape(dev.base_url)}/consent/\S+", out)
    assert "alice@example.com" in ns["alice_answer"]
    assert "bob@example.com" not in out


async def test_langchain_c(dev: DevGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    ui = ConsentUI(dev, "alice")
    model = scripted_chat_model(("search_docs", {"query": "expense"}), ("list_messages", {}))
    ns = base(dev, monkeypatch, model=model, user_token=dev.tokens.user("alice"),
              show_consent_button=ui.show_consent_button,
              user_has_consented=ui.user_has_consented)  # fmt: skip
    ns = await run_snippet("langchain-c", ns)
    assert len(ui.shown) == 1
    assert "mail" in ui.shown[0]
    assert "__interrupt__" not in ns["state"]
    answer = ns["state"]["messages"][-1].text
    assert "kb-2: Expense policy" in answer
    assert "alice@example.com" in answer


async def test_llamaindex_a(dev: DevGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    llm = scripted_llm([("get_article", {"article_id": "kb-3"})])
    ns = await run_snippet("llamaindex-a", base(dev, monkeypatch, llm=llm))
    assert "VPN setup" in str(ns["response"])


async def test_llamaindex_b(
    dev: DevGateway, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await dev.aconsent("alice", "calendar")
    llm = scripted_llm([("list_events", {})])
    ns = base(dev, monkeypatch, llm=llm, alice_token=dev.tokens.user("alice"),
              bob_token=dev.tokens.user("bob"))  # fmt: skip
    ns = await run_snippet("llamaindex-b", ns)
    out = capsys.readouterr().out
    assert re.search(rf"bob must connect Calendar: {re.escape(dev.base_url)}/consent/\S+", out)
    assert "alice@example.com" in out
    assert "bob@example.com" not in out


async def test_llamaindex_c(dev: DevGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    ui = ConsentUI(dev, "alice")
    llm = scripted_llm([("search_docs", {"query": "expense"})], [("list_messages", {})])
    ns = base(dev, monkeypatch, llm=llm, user_token=dev.tokens.user("alice"),
              show_consent_button=ui.show_consent_button,
              user_has_consented=ui.user_has_consented)  # fmt: skip
    ns = await run_snippet("llamaindex-c", ns)
    assert len(ui.shown) == 1
    assert "Expense policy" in str(ns["response"])
    assert "alice@example.com" in str(ns["response"])


async def test_display(dev: DevGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[Any] = []
    ns = base(dev, monkeypatch, user_token=dev.tokens.user("bob"))
    monkeypatch.setattr("mcp_gateway_tools.notebook.show_authorization", shown.append)
    ns = await run_snippet("display", ns)
    assert shown
    assert shown[0]["type"] == "authorization_required"
