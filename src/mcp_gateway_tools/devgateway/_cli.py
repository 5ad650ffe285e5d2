"""Foreground entry point, shared by ``python -m`` and ``mcp-gateway-tools dev-gateway``.

Prints what a developer needs to start: the base URL, the server endpoints, the
ready-made tokens (they are fixed, public dev values, only served on loopback) and a
sample IdP JWT. Runs until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import load_server_module
from ._config import ConfigError, GatewayConfig, default_config, load_config, mcp_oauth_config

if TYPE_CHECKING:
    from ._runner import DevGateway

__all__ = ["build_parser", "main"]


def build_parser(prog: str = "mcp-gateway-tools dev-gateway") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Run the local MCP dev gateway.")
    parser.add_argument("--config", type=Path, help="TOML config file (default: built-in)")
    parser.add_argument(
        "--mcp-oauth",
        action="store_true",
        help="built-in config with 'calendar' as a standard OAuth-protected MCP server "
        "(the app runs OAuth; see docs/dev-gateway.md)",
    )
    parser.add_argument("--port", type=int, default=None, help="gateway port (default: free)")
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help="SQLite file for OAuth grants, to keep or share them (default: a new temporary "
        "file per run). Instances sharing a file never clear each other's grants.",
    )
    parser.add_argument("--print-config", action="store_true", help="print the config and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="log gateway decisions")
    return parser


def _banner(gw: DevGateway, kept: str) -> str:
    lines = [f"MCP dev gateway running at {gw.base_url}", "", "Servers:"]
    direct = gw.oauth_servers()
    for name in [*gw.config.servers, *gw.config.virtual_servers]:
        if name in direct:
            lines.append(f"  {name:<12} {direct[name]}  (OAuth-protected, not via the gateway)")
        else:
            lines.append(f"  {name:<12} {gw.url(name)}")
    lines += ["", "Tokens (send as 'Authorization: Bearer <token>'):"]
    for name, token in gw.tokens.users.items():
        lines.append(f"  user {name:<10} {token}")
    for name, token in gw.tokens.accounts.items():
        lines.append(f"  account {name:<7} {token}")
    if gw.config.users:
        first = next(iter(gw.config.users))
        lines += ["", f"IdP JWT for {first} (valid 1 h):", f"  {gw.issue_jwt(first)}"]
    lines += ["", f"Grants: {gw.store_path} ({kept})"]
    lines += ["", "Press Ctrl-C to stop."]
    return "\n".join(lines)


async def _serve(gw: DevGateway, kept: str) -> None:
    async with gw:
        print(_banner(gw, kept), flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> int:
    """Run the dev gateway in the foreground; returns a process exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.config and args.mcp_oauth:
            raise ConfigError("give --config or --mcp-oauth, not both")
        config: GatewayConfig = (
            load_config(args.config)
            if args.config
            else mcp_oauth_config()
            if args.mcp_oauth
            else default_config()
        )
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.print_config:
        print(config.model_dump_json(indent=2))
        return 0
    try:
        runner: Any = load_server_module("._runner")
    except ModuleNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    store = args.store or config.gateway.store_path
    kept = "shared file, kept" if store else "this run only; --store FILE keeps or shares them"
    gateway = runner.DevGateway(config, store_path=store, port=args.port)
    try:
        asyncio.run(_serve(gateway, kept))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"error: cannot start the dev gateway: {exc}", file=sys.stderr)
        return 1
    return 0
