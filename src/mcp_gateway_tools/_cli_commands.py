"""The gateway commands of the CLI (``tools``, ``call``): core calls and their printing.

Everything printed comes from tool listings, results and validated consent links; the
token is only ever handed to :class:`~mcp_gateway_tools.Gateway`, never formatted.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from ._addressing import DEFAULT_TEMPLATE
from ._cli_text import did_you_mean
from ._content import (
    AudioBlock,
    ContentBlock,
    ImageBlock,
    ResourceBlock,
    ResourceLinkBlock,
    TextBlock,
    ToolInfo,
    ToolResult,
)
from ._errors import (
    AuthorizationRequired,
    ConfigurationError,
    GatewayError,
    MissingUserToken,
    UnknownServer,
)
from ._gateway import Gateway

__all__ = [
    "EXIT_AUTHORIZATION",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
    "run_call",
    "run_tools",
]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_AUTHORIZATION = 3
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """The command line or the environment is incomplete or names something that does
    not exist (exit code 2). The message says what to type instead."""


def unknown_server_hint(server: str, known: Sequence[str] = ()) -> str:
    """What to do about a server name the gateway does not know (CLI wording)."""
    return (
        f"the gateway has no server {server!r} visible to this token"
        f"{did_you_mean(server, known)}; check the name in the gateway's UI, which lists "
        "its servers"
    )


def _name_a_server(url: str | Address) -> UsageError:
    return UsageError(
        f"name a server: 'mcp-gateway-tools tools SERVER...' ({url} is the gateway's base "
        "URL; a full .../mcp/<server>/server URL names one)"
    )


@dataclass
class ServerListing:
    """What one server showed the token: tools, a consent request, or an error."""

    server: str
    tools: list[ToolInfo] = field(default_factory=list)
    authorization: AuthorizationRequired | None = None
    error: GatewayError | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"server": self.server}
        if self.authorization is not None:
            out["status"] = "authorization_required"
            out["authorization"] = self.authorization.to_observation()
        elif self.error is not None:
            out["status"] = "error"
            out["error"] = self.error.to_observation()
        else:
            out["status"] = "ok"
            out["tools"] = [
                {
                    "name": t.name,
                    "title": t.title,
                    "description": t.description,
                    "input_schema": t.input_schema,
                }
                for t in self.tools
            ]
        return out


@dataclass(frozen=True)
class Address:
    """Where the CLI finds servers: ``--url``, ``--endpoint-template``, ``--server-url``."""

    url: str | None
    endpoint_template: str = DEFAULT_TEMPLATE
    servers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.url or ", ".join(f"{k}={v}" for k, v in self.servers.items())


def _gateway(url: str | Address, timeout: float) -> Gateway:
    # No static token: the CLI's token may be a user's, so it is passed per call (the
    # core would otherwise treat it as a service token in its consent hints).
    if isinstance(url, Address):
        return Gateway(
            url.url,
            endpoint_template=url.endpoint_template,
            servers=url.servers or None,
            call_timeout=timeout,
        )
    return Gateway(url, call_timeout=timeout)


async def _list(
    url: str | Address, token: str, servers: list[str], timeout: float
) -> list[ServerListing]:
    async with _gateway(url, timeout) as gateway:
        if not servers:
            try:
                servers = [gateway.server_name()]
            except ConfigurationError:
                raise _name_a_server(url) from None
        names = [gateway.server_name(s) for s in servers]

        async def one(server: str) -> ServerListing:
            try:
                return ServerListing(
                    server, tools=list(await gateway.list_tools(server, token=token))
                )
            except AuthorizationRequired as exc:
                return ServerListing(server, authorization=exc)
            except (MissingUserToken, ConfigurationError):
                raise
            except GatewayError as exc:
                return ServerListing(server, error=exc)

        return list(await asyncio.gather(*(one(s) for s in names)))


def _print_links(exc: AuthorizationRequired, out: TextIO, indent: str = "  ") -> None:
    for display, link in exc.links():
        print(f"{indent}{display}: {link}", file=out)


def _first_line(text: str | None, width: int = 72) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def print_listing(listings: list[ServerListing], out: TextIO) -> None:
    for number, item in enumerate(listings):
        if number:
            print(file=out)
        if item.authorization is not None:
            print(f"{item.server}: authorization required", file=out)
            print(f"  {item.authorization.message}", file=out)
            _print_links(item.authorization, out)
            continue
        if isinstance(item.error, UnknownServer):
            known = [other.server for other in listings if other.error is None]
            print(f"{item.server}: error: {unknown_server_hint(item.server, known)}", file=out)
            continue
        if item.error is not None:
            print(f"{item.server}: error: {item.error}", file=out)
            continue
        print(f"{item.server}: {len(item.tools)} tool(s)", file=out)
        width = max((len(t.name) for t in item.tools), default=0)
        for info in item.tools:
            print(f"  {info.name:<{width}}  {_first_line(info.description)}", file=out)


def run_tools(
    url: str | Address, token: str, servers: list[str], *, timeout: float, as_json: bool
) -> int:
    """``tools``: 0 if every server listed, 3 if some need consent (and none failed),
    2 if a server name is unknown, else 1 if one failed."""
    listings = asyncio.run(_list(url, token, servers, timeout))
    if as_json:
        print(json.dumps([item.to_json() for item in listings], indent=2))
    else:
        print_listing(listings, sys.stdout)
    if any(isinstance(item.error, UnknownServer) for item in listings):
        return EXIT_USAGE
    if any(item.error is not None for item in listings):
        return EXIT_FAILURE
    if any(item.authorization is not None for item in listings):
        return EXIT_AUTHORIZATION
    return EXIT_OK


def _block_json(block: ContentBlock) -> dict[str, Any]:
    if isinstance(block, TextBlock):
        return {"type": "text", "text": block.text}
    if isinstance(block, ImageBlock | AudioBlock):
        return {"type": block.kind, "mime_type": block.mime_type, "data": block.data}
    if isinstance(block, ResourceLinkBlock):
        return {"type": "resource_link", "uri": block.uri, "name": block.name}
    if isinstance(block, ResourceBlock):
        return {"type": "resource", "uri": block.uri, "text": block.text, "blob": block.blob}
    return {"type": "unknown"}  # pragma: no cover - the union is exhaustive


def result_json(result: ToolResult) -> dict[str, Any]:
    return {
        "type": "result",
        "is_error": result.is_error,
        "content": [_block_json(b) for b in result.content],
        "structured_content": result.structured_content,
    }


def print_result(result: ToolResult, out: TextIO) -> None:
    if result.is_error:
        print("The tool reported an error:", file=out)
    if result.content:
        print(result.text, file=out)
    if result.structured_content is not None and not _same_json(
        result.text, result.structured_content
    ):
        print("structured content:", file=out)
        print(json.dumps(result.structured_content, indent=2, ensure_ascii=False), file=out)


def _same_json(text: str, value: Any) -> bool:
    try:
        return bool(json.loads(text) == value)
    except ValueError:
        return False


async def _call(
    url: str | Address,
    token: str,
    server: str,
    tool: str,
    arguments: dict[str, Any],
    timeout: float,
) -> ToolResult:
    async with _gateway(url, timeout) as gateway:
        try:
            result = await gateway.call_tool(server, tool, arguments, token=token)
        except UnknownServer:
            raise UsageError(unknown_server_hint(server)) from None
        if result.is_error:
            await _check_tool_exists(gateway, server, tool, token)
        return result


async def _check_tool_exists(gateway: Gateway, server: str, tool: str, token: str) -> None:
    """After an error result: if ``tool`` is not one of ``server``'s tools, say so with
    near matches and the command that lists them (a typo, not a tool failure)."""
    try:
        names = [info.name for info in await gateway.list_tools(server, token=token)]
    except GatewayError:
        return  # cannot tell; the tool's own error result is printed
    if tool not in names:
        raise UsageError(
            f"server {server!r} has no tool {tool!r}{did_you_mean(tool, names)}; list them "
            f"with 'mcp-gateway-tools tools {server}'"
        )


def run_call(
    url: str | Address,
    token: str,
    server: str,
    tool: str,
    arguments: dict[str, Any],
    *,
    timeout: float,
    as_json: bool,
) -> int:
    """``call``: 0 on a result, 1 on a tool error result, 3 when consent is needed; an
    unknown server or tool name is a :class:`UsageError` (2)."""
    try:
        result = asyncio.run(_call(url, token, server, tool, arguments, timeout))
    except AuthorizationRequired as exc:
        if as_json:
            print(json.dumps(exc.to_observation(), indent=2))
        else:
            print("Authorization required.", exc.message)
            print("Open each link, approve, then run the same command again:")
            _print_links(exc, sys.stdout)
        return EXIT_AUTHORIZATION
    if as_json:
        print(json.dumps(result_json(result), indent=2, ensure_ascii=False))
    else:
        print_result(result, sys.stdout)
    return EXIT_FAILURE if result.is_error else EXIT_OK
