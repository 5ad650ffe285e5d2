"""``mcp-gateway-tools``: look at a gateway as a token sees it, call a tool, run the demo.

Commands::

    mcp-gateway-tools tools SERVER...             list tools (and consent links) per server
    mcp-gateway-tools call SERVER TOOL [JSON]     call one tool, print the result or links
    mcp-gateway-tools dev-gateway [...]           run the local dev gateway (foreground)
    mcp-gateway-tools demo [--interactive]        scenarios A, B and C against a dev gateway
    mcp-gateway-tools demo --web [--port N]       the two-user web demo (prints its URL)

The gateway URL comes from ``--url`` or ``MCP_GATEWAY_URL``; the token from ``--token``
or ``MCP_GATEWAY_TOKEN`` (prefer the variable: command lines are visible to other
processes). The token is never printed. Errors are one line on stderr unless
``--debug``.

Exit codes: 0 success; 1 the gateway or the tool failed; 2 usage or configuration
error (also an unknown server or tool name, with near matches); 3 the user must
authorize first (the links are printed); 130 interrupted.

Text from the gateway (tool names, descriptions, results, consent messages, error
messages) is printed with its terminal control characters escaped (``\\u001b``...).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from ._addressing import DEFAULT_TEMPLATE
from ._cli_commands import (
    EXIT_AUTHORIZATION,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Address,
    UsageError,
    run_call,
    run_tools,
)
from ._cli_text import TerminalSafe, terminal_safe

__all__ = [
    "EXIT_AUTHORIZATION",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "build_parser",
    "main",
]

_EPILOG = """\
environment:
  MCP_GATEWAY_URL    gateway base URL (or a full .../mcp/<server>/server URL)
  MCP_GATEWAY_TOKEN  bearer token: a virtual account token or a user's token
  MCP_GATEWAY_ENDPOINT_TEMPLATE  server URL template, e.g. '{base}/servers/{server}/mcp'
  MCP_GATEWAY_SERVERS  NAME=URL pairs (spaces or commas): servers reached at their own URL

exit codes:
  0 success, 1 gateway or tool failure, 2 usage/configuration error (also an
  unknown server or tool name), 3 authorization required (links printed),
  130 interrupted

examples:
  mcp-gateway-tools demo
  mcp-gateway-tools dev-gateway --port 8787
  export MCP_GATEWAY_URL=http://127.0.0.1:8787 MCP_GATEWAY_TOKEN=dev-pat-alice
  mcp-gateway-tools tools knowledge mail
  mcp-gateway-tools call knowledge search_docs '{"query": "vpn"}'
"""


def _connection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("gateway connection")
    group.add_argument(
        "--url",
        metavar="URL",
        help="gateway base URL, or a full server URL (default: $MCP_GATEWAY_URL)",
    )
    group.add_argument(
        "--endpoint-template",
        metavar="TEMPLATE",
        help="how a server name becomes its URL, with {base} and {server} (default: "
        "$MCP_GATEWAY_ENDPOINT_TEMPLATE, else '{base}/mcp/{server}/server')",
    )
    group.add_argument(
        "--server-url",
        action="append",
        metavar="NAME=URL",
        help="reach server NAME at URL, any shape (repeatable; default: "
        "$MCP_GATEWAY_SERVERS, 'NAME=URL' pairs separated by spaces or commas); "
        "--url may then be omitted",
    )
    group.add_argument(
        "--token",
        metavar="TOKEN",
        help="bearer token (default: $MCP_GATEWAY_TOKEN; prefer the variable, it stays "
        "out of the process list). Never printed.",
    )
    group.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="limit for one tool call (default: 60)",
    )
    group.add_argument(
        "--json", action="store_true", help="print machine-readable JSON instead of text"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``mcp-gateway-tools`` (exposed for docs and tests)."""
    parser = argparse.ArgumentParser(
        prog="mcp-gateway-tools",
        description="Framework tools for an authenticating MCP gateway: inspect servers as a "
        "given token sees them, call tools, run the local dev gateway and the demo.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--debug", action="store_true", help="show tracebacks and debug logs (never tokens)"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    tools = sub.add_parser(
        "tools",
        help="list the tools of servers as the token sees them, with consent links",
        description="List each server's tools as the given token sees them. A server the "
        "token's user must authorize first is shown with its consent link(s).",
    )
    tools.add_argument(
        "servers",
        nargs="*",
        metavar="SERVER",
        help="server or virtual server names (default: the server of a full --url)",
    )
    _connection_options(tools)

    call = sub.add_parser(
        "call",
        help="call one tool with JSON arguments",
        description="Call one tool and print its result, or the consent links when the "
        "user must authorize first (exit code 3).",
    )
    call.add_argument("server", metavar="SERVER", help="server or virtual server name")
    call.add_argument("tool", metavar="TOOL", help="the MCP tool name")
    call.add_argument(
        "arguments",
        nargs="?",
        default=None,
        metavar="JSON",
        help="arguments as a JSON object (default: {}); '-' reads them from stdin",
    )
    _connection_options(call)

    sub.add_parser(
        "dev-gateway",
        help="run the local dev gateway in the foreground (see 'dev-gateway --help')",
        add_help=False,
    )

    demo = sub.add_parser(
        "demo",
        help="run scenarios A, B and C against an in-process dev gateway",
        description="Start the dev gateway in-process and run: (A) a LangChain agent with a "
        "service token, (B) two users through the same tools, one of whom must consent, "
        "(C) a LlamaIndex agent on a virtual server mixing shared and per-user servers. "
        "Offline, scripted models by default; with OPENAI_API_KEY set and "
        "langchain-openai / llama-index-llms-openai installed, real models are used. "
        "Exit code 0 only if every step did what it claims.",
    )
    demo.add_argument(
        "--interactive",
        action="store_true",
        help="show the consent links and wait for you to open them in a browser and press "
        "Enter (default: consent is completed automatically)",
    )
    demo.add_argument(
        "--scripted",
        action="store_true",
        help="always use the offline scripted models, even if an LLM is configured",
    )
    demo.add_argument(
        "--web",
        action="store_true",
        help="run the two-user web demo instead (a page to open in a browser; docs/webapp.md)",
    )
    demo.add_argument(
        "--port",
        type=int,
        default=8765,
        help="--web: the port to serve on (0: a free one; with --workers, port, port+1, ...)",
    )
    demo.add_argument(
        "--workers",
        type=int,
        default=1,
        help="--web: worker processes sharing the runs (SQLite checkpointer); default 1",
    )
    demo.add_argument(
        "--db",
        default=None,
        help="--web: SQLite file for the runs (default: a temporary file for this run)",
    )
    demo.add_argument(
        "--log-level",
        default="warning",
        choices=["debug", "info", "warning", "error"],
        help="--web: log level of the app and its servers",
    )
    demo.add_argument(
        "--scenario",
        action="append",
        choices=["A", "B", "C"],
        help="run only this scenario (repeatable; default: all)",
    )
    return parser


def _version() -> str:
    from . import __version__

    return __version__


def _server_urls(args: argparse.Namespace) -> dict[str, str]:
    """``--server-url NAME=URL`` (repeatable), else ``$MCP_GATEWAY_SERVERS``."""
    pairs = args.server_url or os.environ.get("MCP_GATEWAY_SERVERS", "").replace(",", " ").split()
    servers: dict[str, str] = {}
    for pair in pairs:
        name, sep, url = pair.partition("=")
        if not sep or not name.strip() or not url.strip():
            raise UsageError(f"--server-url takes NAME=URL, got {pair!r}")
        if name.strip() in servers:
            raise UsageError(f"--server-url names {name.strip()!r} twice")
        servers[name.strip()] = url.strip()
    return servers


def _resolve_connection(args: argparse.Namespace) -> tuple[str | Address, str]:
    url = (args.url or os.environ.get("MCP_GATEWAY_URL") or "").strip()
    template = args.endpoint_template or os.environ.get("MCP_GATEWAY_ENDPOINT_TEMPLATE")
    servers = _server_urls(args)
    if not url and not servers:
        raise UsageError("no gateway URL: pass --url or set MCP_GATEWAY_URL")
    token = str(args.token or os.environ.get("MCP_GATEWAY_TOKEN") or "")
    if not token.strip():
        raise UsageError("no token: pass --token or set MCP_GATEWAY_TOKEN")
    if template is None and not servers:
        return url, token.strip()
    address = Address(url or None, template or DEFAULT_TEMPLATE, servers)
    return address, token.strip()


def _read_arguments(raw: str | None) -> dict[str, Any]:
    if raw is None:
        return {}
    text = sys.stdin.read() if raw == "-" else raw
    try:
        value = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise UsageError(f"the arguments are not valid JSON: {exc.msg} (at {exc.pos})") from None
    if not isinstance(value, dict):
        raise UsageError('the arguments must be a JSON object, e.g. \'{"query": "vpn"}\'')
    return value


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "demo" and args.web:
        from .demo import run_web

        if args.workers < 1 or not 0 <= args.port <= 65535:
            raise UsageError("--workers must be at least 1 and --port 0..65535")

        return run_web(
            scripted=args.scripted,
            port=args.port,
            workers=args.workers,
            db=args.db,
            log_level=args.log_level,
        )
    if args.command == "demo":
        from .demo import run_demo

        return run_demo(
            interactive=args.interactive,
            scripted=args.scripted,
            scenarios=args.scenario,
        )
    url, token = _resolve_connection(args)
    if args.command == "tools":
        return run_tools(url, token, args.servers, timeout=args.timeout, as_json=args.json)
    return run_call(
        url,
        token,
        args.server,
        args.tool,
        _read_arguments(args.arguments),
        timeout=args.timeout,
        as_json=args.json,
    )


def _split_dev_gateway(argv: Sequence[str]) -> tuple[list[str], list[str]] | None:
    """``[global options] dev-gateway [its options]`` -> (global, its), else None."""
    for index, arg in enumerate(argv):
        if arg == "dev-gateway":
            return list(argv[:index]), list(argv[index + 1 :])
        if not arg.startswith("-"):
            return None
    return None


def _error_line(exc: BaseException) -> str:
    """One line, terminal-safe: error messages may quote what a gateway sent."""
    message = " ".join(str(exc).split()) or type(exc).__name__
    return terminal_safe(f"error: {message}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code (the console script exits with it)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    split = _split_dev_gateway(arguments)
    parser = build_parser()
    if split is not None:
        head, rest = split
        unknown = [a for a in head if a != "--debug"]
        if unknown:
            parser.error(f"unexpected option(s) before dev-gateway: {' '.join(unknown)}")
        from .devgateway._cli import main as dev_main

        return dev_main(
            [*rest, "--verbose"] if "--debug" in head and "--verbose" not in rest else rest
        )
    args = parser.parse_args(arguments)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    # Whatever is printed from here on (logs too) may quote the gateway: escape controls.
    with (
        contextlib.redirect_stdout(TerminalSafe(sys.stdout)),
        contextlib.redirect_stderr(TerminalSafe(sys.stderr)),
    ):
        logging.basicConfig(
            level=logging.DEBUG if args.debug else logging.WARNING,
            format="%(levelname)s %(name)s: %(message)s",
        )
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except UsageError as exc:
        if args.debug:
            traceback.print_exc()
        print(_error_line(exc), file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        print(_error_line(exc), file=sys.stderr)
        return _exit_code_for(exc)


def _exit_code_for(exc: BaseException) -> int:
    from ._errors import ConfigurationError, MissingUserToken

    if isinstance(exc, ConfigurationError | MissingUserToken):
        return EXIT_USAGE
    return EXIT_FAILURE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
