"""The ``mcp-gateway-tools`` CLI against a real dev gateway: output, exit codes, secrecy."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mcp_gateway_tools.cli import (
    EXIT_AUTHORIZATION,
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    build_parser,
    main,
)
from mcp_gateway_tools.devgateway import DevGateway

pytestmark = pytest.mark.usefixtures("clean_env")  # no gateway settings from the shell

SERVICE = "dev-va-ci-bot"
ALICE = "dev-pat-alice"


def run(
    capsys: pytest.CaptureFixture[str], *argv: str, secret: str | None = None
) -> tuple[int, str, str]:
    """Run the CLI in-process; no token it was given may appear in its output."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    given = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--token"]
    for token in {*given, os.environ.get("MCP_GATEWAY_TOKEN"), secret} - {None}:
        assert token not in out + err, "a token was echoed"
    return code, out, err


def test_help_lists_commands_environment_and_exit_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for word in ("tools", "call", "dev-gateway", "demo", "MCP_GATEWAY_URL", "MCP_GATEWAY_TOKEN"):
        assert word in out
    assert "3 authorization required" in out
    for command in ("tools", "call", "demo"):
        assert build_parser().parse_args([command, *(["s", "t"] if command == "call" else [])])


def test_no_command_prints_usage_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    code = main([])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "usage:" in err


def test_tools_lists_a_servers_tools(dev: DevGateway, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "tools", "knowledge", "search", "--url", dev.base_url,
                       "--token", SERVICE)  # fmt: skip
    assert code == EXIT_OK
    assert "knowledge: 4 tool(s)" in out
    assert "search_docs" in out
    assert "web_search" in out


def test_tools_shows_consent_links_with_exit_code_3(
    dev: DevGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCP_GATEWAY_URL", dev.base_url)
    monkeypatch.setenv("MCP_GATEWAY_TOKEN", ALICE)
    code, out, _ = run(capsys, "tools", "knowledge", "mail")
    assert code == EXIT_AUTHORIZATION
    assert "mail: authorization required" in out
    assert f"Mail: {dev.base_url}/consent/" in out
    assert "knowledge: 4 tool(s)" in out  # one server needing consent hides nothing


def test_tools_json(dev: DevGateway, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "tools", "mail", "knowledge", "--json", "--url", dev.base_url,
                       "--token", ALICE)  # fmt: skip
    assert code == EXIT_AUTHORIZATION
    listing = {item["server"]: item for item in json.loads(out)}
    assert listing["mail"]["authorization"]["type"] == "authorization_required"
    assert listing["knowledge"]["status"] == "ok"
    assert {t["name"] for t in listing["knowledge"]["tools"]} >= {"search_docs"}


def test_tools_with_a_full_server_url(dev: DevGateway, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "tools", "--url", dev.url("knowledge"), "--token", SERVICE)
    assert code == EXIT_OK
    assert out.startswith("knowledge: 4 tool(s)")


def test_unknown_server_is_a_usage_error_with_near_matches(
    dev: DevGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "tools", "knowledge", "knowlege", "--url", dev.base_url,
                       "--token", SERVICE)  # fmt: skip
    assert code == EXIT_USAGE
    assert "knowledge: 4 tool(s)" in out
    assert "knowlege: error: the gateway has no server 'knowlege'" in out
    assert "(did you mean 'knowledge'?)" in out
    code, _, err = run(capsys, "call", "nosuch", "x", "--url", dev.base_url, "--token", SERVICE)
    assert code == EXIT_USAGE
    assert err.startswith("error: the gateway has no server 'nosuch'")


def test_unknown_tool_suggests_near_matches_and_the_listing_command(
    dev: DevGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "call", "knowledge", "serch_docs", '{"query": "vpn"}',
                         "--url", dev.base_url, "--token", SERVICE)  # fmt: skip
    assert code == EXIT_USAGE
    assert out == ""
    assert err == (
        "error: server 'knowledge' has no tool 'serch_docs' (did you mean 'search_docs'?); "
        "list them with 'mcp-gateway-tools tools knowledge'\n"
    )


def test_tools_without_a_server_says_what_to_type(
    dev: DevGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "tools", "--url", dev.base_url, "--token", SERVICE)
    assert code == EXIT_USAGE
    assert "this Gateway" not in err  # the library's wording, meaningless on the CLI
    assert err.startswith("error: name a server: 'mcp-gateway-tools tools SERVER...'")


def test_call_prints_the_result(dev: DevGateway, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "call", "knowledge", "get_article", '{"article_id": "kb-3"}',
                       "--url", dev.base_url, "--token", SERVICE)  # fmt: skip
    assert code == EXIT_OK
    assert json.loads(out)["title"] == "VPN setup"


def test_call_json_and_arguments_from_stdin(
    dev: DevGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"query": "vpn", "limit": 1}'))
    code, out, _ = run(capsys, "call", "search", "web_search", "-", "--json",
                       "--url", dev.base_url, "--token", SERVICE)  # fmt: skip
    assert code == EXIT_OK
    result = json.loads(out)
    assert result["type"] == "result"
    assert result["is_error"] is False
    assert len(result["structured_content"]["results"]) == 1


def test_call_needing_consent_prints_links_exit_3(
    dev: DevGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("call", "mail", "list_messages", "--url", dev.base_url, "--token", ALICE)
    code, out, _ = run(capsys, *args)
    assert code == EXIT_AUTHORIZATION
    assert "Authorization required." in out
    assert f"{dev.base_url}/consent/" in out
    code, out, _ = run(capsys, *args, "--json")
    observation = json.loads(out)
    assert observation["type"] == "authorization_required"
    link = observation["authorization_urls"]["mail"]
    dev.consent("alice", "mail", link=link)
    try:
        code, out, _ = run(capsys, *args, "--json")
        assert code == EXIT_OK
        assert json.loads(out)["structured_content"]["owner"] == "alice@example.com"
    finally:
        dev.revoke("alice", "mail")


def test_tool_error_result_exits_1(dev: DevGateway, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "call", "knowledge", "get_article", '{"article_id": "nope"}',
                       "--url", dev.base_url, "--token", SERVICE)  # fmt: skip
    assert code == EXIT_FAILURE
    assert "The tool reported an error" in out
    assert "nope" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["call", "knowledge", "search_docs", "{"], "not valid JSON"),
        (["call", "knowledge", "search_docs", "[1]"], "must be a JSON object"),
    ],
)
def test_bad_arguments_are_usage_errors(
    dev: DevGateway, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv, "--url", dev.base_url, "--token", SERVICE)
    assert code == EXIT_USAGE
    assert err.startswith("error:")
    assert message in err
    assert err.count("\n") == 1


def test_missing_url_or_token(dev: DevGateway, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "tools", "knowledge", "--token", SERVICE)
    assert (code, err.strip()) == (EXIT_USAGE, "error: no gateway URL: pass --url or set "
                                   "MCP_GATEWAY_URL")  # fmt: skip
    code, _, err = run(capsys, "tools", "knowledge", "--url", dev.base_url)
    assert code == EXIT_USAGE
    assert "MCP_GATEWAY_TOKEN" in err


def test_rejected_token_is_one_line_and_never_echoed(
    dev: DevGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "not-a-valid-token-0123456789"
    code, out, err = run(capsys, "call", "knowledge", "search_docs", '{"query": "x"}',
                         "--url", dev.base_url, "--token", secret, secret=secret)  # fmt: skip
    assert code == EXIT_FAILURE
    assert out == ""
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_debug_shows_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ("call", "knowledge", "search_docs", '{"query": "x"}', "--url",
            "http://127.0.0.1:1", "--token", SERVICE)  # fmt: skip
    code, _, err = run(capsys, *argv)
    assert code == EXIT_FAILURE
    assert "Traceback" not in err
    assert "Could not reach the gateway" in err
    code, _, err = run(capsys, "--debug", *argv)
    assert code == EXIT_FAILURE
    assert "Traceback (most recent call last)" in err


def test_dev_gateway_delegates_to_the_dev_gateway_cli(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["dev-gateway", "--print-config"])  # prints the public dev tokens
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert json.loads(out)["gateway"]["host"] == "127.0.0.1"
    with pytest.raises(SystemExit) as exited:
        main(["dev-gateway", "--help"])
    assert exited.value.code == 0
    assert "--port" in capsys.readouterr().out


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("mcp-gateway-tools")
    assert script.exists(), "pip install -e . creates the console script"
    done = subprocess.run(
        [str(script), "call", "x", "y"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == EXIT_USAGE
    assert done.stderr.strip() == "error: no gateway URL: pass --url or set MCP_GATEWAY_URL"


def test_demo_web_refuses_no_workers_as_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--web", "--workers", "0"]) == EXIT_USAGE
    assert "--workers must be at least 1" in capsys.readouterr().err
