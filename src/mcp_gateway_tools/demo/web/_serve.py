"""``mcp-gateway-tools demo --web``: the dev gateway, then one or more app workers.

With one worker everything runs in this process on one event loop. With ``--workers
N`` this process runs the dev gateway and starts N worker processes, each serving the
app on its own port (``--port``, ``--port``+1, ... or free ports) and sharing the
SQLite checkpointer, the session secret and the encrypted OAuth grant store: a page may
move between workers, and a pause written by one is resumed by another. The dev
gateway runs ``mcp_oauth_config()``: Mail's OAuth is the gateway's, Calendar is a
standard OAuth-protected server whose OAuth this app runs (each worker's callback is
``/oauth/callback`` on its own port). Workers get their settings (tokens,
secret) on stdin and their listening socket as an inherited file descriptor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
from asyncio.subprocess import PIPE, Process
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

import httpx2
import uvicorn

from ... import AuthorizationRequired, app_user
from ...devgateway import DevGateway, mcp_oauth_config
from ...devgateway._serving import EmbeddedServer, bind_loopback
from ...oauth import generate_key
from ._settings import USERS, Settings

__all__ = ["run_web_demo", "serve_worker"]

log = logging.getLogger("mcp_gateway_tools.demo.web")
HOST = "127.0.0.1"


async def prepare_grants(dev: DevGateway, settings: Settings) -> None:
    """The story's starting point: Alice connected Mail (at the gateway) and Calendar
    (through this app: her browser's sign-in and approval played by the dev gateway)."""
    from ._agent import app_gateway, grant_store

    await dev.aconsent("alice", "mail")
    async with grant_store(settings) as store, app_gateway(settings, store) as gateway:
        with app_user("alice"):
            try:
                await gateway.list_tools("calendar")
                return
            except AuthorizationRequired as needed:
                link = needed.authorization_urls["calendar"]
        browser = await dev.abrowser_consent(link, "alice", follow_callback=False)
        assert browser.callback_url is not None  # follow_callback=False: it is given back
        await gateway.complete_authorization(browser.callback_url, user="alice")


def _settings(
    dev: DevGateway, run: dict[str, str], model: str | None, worker: str, sock: socket.socket
) -> Settings:
    return Settings(
        gateway_url=dev.base_url,
        tokens={u: dev.tokens.user(u) for u in USERS},
        secret=bytes.fromhex(run["secret"]),
        db_path=run["db_path"],
        model=model,
        worker=worker,
        calendar_url=dev.oauth_server_url("calendar"),
        redirect_uri=f"{_url(sock)}oauth/callback",
        grants_dir=run["grants_dir"],
        grants_key=run["grants_key"],
    )


def _uvicorn(app: object, log_level: str) -> EmbeddedServer:
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        log_level=log_level,
        access_log=log_level == "debug",
        lifespan="on",
        timeout_graceful_shutdown=1,
        ws="none",
    )
    return EmbeddedServer(config)


def _url(sock: socket.socket) -> str:
    return f"http://{HOST}:{sock.getsockname()[1]}/"


def _stop_on_signals(stop: Callable[[], None]) -> None:
    """Ctrl-C and SIGTERM stop the servers gracefully: asyncio.run's own Ctrl-C handler
    would cancel them mid-lifespan, and uvicorn logs each cancellation as a traceback."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop)


async def serve_worker(settings: Settings, sock: socket.socket, log_level: str) -> None:
    """Serve the app on ``sock`` until Ctrl-C, SIGTERM or cancellation (one worker)."""
    from ._worker import worker_app

    server = _uvicorn(worker_app(settings), log_level)
    _stop_on_signals(server.request_stop)
    try:
        await server.serve(sockets=[sock])
    finally:
        server.request_stop()


@contextlib.contextmanager
def _database(db: str | None) -> Iterator[str]:
    if db is not None:
        yield db
        return
    with tempfile.TemporaryDirectory(prefix="mgt-webapp-") as tmp:
        yield str(Path(tmp) / "runs.sqlite3")


def _ports(port: int, workers: int) -> list[socket.socket]:
    return [bind_loopback(HOST, port + i if port else 0) for i in range(workers)]


async def _spawn(settings: Settings, sock: socket.socket, log_level: str) -> Process:
    """A worker process serving on (a copy of) ``sock``, told its settings on stdin."""
    fd = sock.fileno()
    os.set_inheritable(fd, True)
    module = "mcp_gateway_tools.demo.web._worker"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, str(fd), log_level, stdin=PIPE, pass_fds=[fd]
    )
    assert process.stdin is not None
    process.stdin.write(settings.to_json().encode())
    await process.stdin.drain()
    process.stdin.close()
    return process


async def _ready(urls: list[str], children: list[Process], timeout: float = 120.0) -> None:
    """Return once every worker answers, so a printed URL is one that works."""
    async with httpx2.AsyncClient(timeout=5.0) as http, asyncio.timeout(timeout):
        for url in urls:
            while True:
                if any(c.returncode is not None for c in children):
                    raise OSError("a web demo worker exited during startup")
                with contextlib.suppress(httpx2.HTTPError):
                    if (await http.get(f"{url}api/me")).status_code == 200:
                        break
                await asyncio.sleep(0.1)


async def _supervise(children: list[Process]) -> None:
    """Wait until any worker exits, Ctrl-C or SIGTERM (or we are cancelled), then stop
    them all."""
    stopped = asyncio.Event()
    _stop_on_signals(stopped.set)
    waits = [asyncio.create_task(c.wait()) for c in children]
    stopping = asyncio.create_task(stopped.wait())
    try:
        await asyncio.wait([*waits, stopping], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        for child in children:
            if child.returncode is None:
                child.terminate()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await asyncio.gather(*waits, return_exceptions=True)


async def _main(
    port: int, workers: int, model: str | None, db: str | None, log_level: str, out: TextIO
) -> None:
    sockets = _ports(port, workers)
    with _database(db) as db_path:
        # One per demo run, shared by its workers: the session secret and the key of the
        # OAuth grant store (a new key makes the previous run's grants unreadable).
        run = {
            "secret": secrets.token_bytes(32).hex(),
            "db_path": db_path,
            "grants_dir": str(Path(db_path).parent / "oauth-grants"),
            "grants_key": generate_key(),
        }
        shutil.rmtree(run["grants_dir"], ignore_errors=True)  # an old run's: unreadable now
        async with DevGateway(mcp_oauth_config()) as dev:
            await prepare_grants(dev, _settings(dev, run, model, "1", sockets[0]))
            label = f"model {model} (OpenAI)" if model else "scripted model (offline, no LLM)"
            print(f"Web demo ({label}), dev gateway at {dev.base_url}", file=out)
            if workers == 1:
                print(f"Open {_url(sockets[0])}", file=out, flush=True)
                settings = _settings(dev, run, model, "1", sockets[0])
                await serve_worker(settings, sockets[0], log_level)
                return
            children = [
                await _spawn(_settings(dev, run, model, str(i + 1), sock), sock, log_level)
                for i, sock in enumerate(sockets)
            ]
            urls = [_url(sock) for sock in sockets]
            for sock in sockets:
                sock.close()  # each worker holds its own copy
            await _ready(urls, children)
            for i, url in enumerate(urls):
                print(f"Worker {i + 1}: open {url}", file=out, flush=True)
            await _supervise(children)


def run_web_demo(
    *,
    port: int = 8765,
    workers: int = 1,
    model: str | None = None,
    db: str | None = None,
    log_level: str = "warning",
    out: TextIO | None = None,
) -> int:
    """Run until Ctrl-C (or a worker exits); returns the exit code."""
    logging.basicConfig(
        level=getattr(logging, log_level.upper(), logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,  # the CLI configured WARNING before it knew this was the web demo
    )
    try:
        asyncio.run(_main(port, workers, model, db, log_level, out or sys.stdout))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"error: cannot start the web demo: {exc}", file=sys.stderr)
        return 1
    return 0
