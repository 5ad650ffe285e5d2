"""The CLI never hands a gateway's terminal escapes to the terminal (issue 12 item 9)."""

from __future__ import annotations

import json

import pytest

from mcp_gateway_tools.cli import EXIT_AUTHORIZATION, EXIT_FAILURE, EXIT_OK, main
from tests.support.faults import ESCAPES, RAW_CONTROLS
from tests.support.serving import ThreadedServer


def run(capsys: pytest.CaptureFixture[str], url: str, *argv: str) -> tuple[int, str]:
    code = main([*argv, "--url", url, "--token", "hostile-test-token"])
    out, err = capsys.readouterr()
    printed = out + err
    for control in RAW_CONTROLS:
        assert control not in printed, f"{control!r} reached the terminal"
    return code, printed


def test_tool_descriptions_are_printed_with_escapes_made_visible(
    fault_server: ThreadedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, printed = run(capsys, fault_server.url, "tools", "escapes")
    assert code == EXIT_OK
    assert "echo" in printed
    assert "\\u001b]52;c;" in printed  # visible, not executed


def test_tool_results_are_printed_safely_and_json_still_decodes_to_them(
    fault_server: ThreadedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, printed = run(capsys, fault_server.url, "call", "escapes", "echo", '{"text": "hi"}')
    assert code == EXIT_OK
    assert printed.startswith("hi \\u001b]52;")
    code, printed = run(
        capsys, fault_server.url, "call", "escapes", "echo", '{"text": "hi"}', "--json"
    )
    assert code == EXIT_OK
    assert json.loads(printed)["content"][0]["text"] == f"hi {ESCAPES}"


@pytest.mark.parametrize("command", [["tools", "escapes401"], ["call", "escapes401", "list"]])
def test_consent_messages_and_display_names_are_printed_safely(
    fault_server: ThreadedServer, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    code, printed = run(capsys, fault_server.url, *command)
    assert code == EXIT_AUTHORIZATION
    assert f"{fault_server.url}/consent/abc" in printed


@pytest.mark.parametrize("debug", [[], ["--debug"]])
def test_error_messages_and_tracebacks_are_printed_safely(
    fault_server: ThreadedServer, capsys: pytest.CaptureFixture[str], debug: list[str]
) -> None:
    code, printed = run(capsys, fault_server.url, *debug, "call", "escapes403", "x")
    assert code == EXIT_FAILURE
    assert "error:" in printed
