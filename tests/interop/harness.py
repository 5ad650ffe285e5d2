"""Real third-party gateways as subprocesses: their own cached venvs, ports, logs, PIDs.

Each gateway is installed from the package index into a virtualenv of its own under
``~/.cache/mcp-gateway-tools/interop/<package>-<version>/`` (ContextForge pins mcp 1.x,
LiteLLM pins half the ecosystem: none of them may touch the project's venv). A venv is
reused while its marker names the same pins and Python, and re-created otherwise. uv
(a dev dependency) creates and fills it: on this 2-core machine pip took about ten
minutes for ContextForge even with a warm cache, uv takes seconds; without uv, pip is
used. A gateway that cannot be installed or started raises
:class:`HarnessError` with pip's or the gateway's own output, so the test fails with
the reason instead of skipping.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

CACHE_ROOT = Path(
    os.environ.get("MCP_GATEWAY_TOOLS_INTEROP_CACHE")
    or Path.home() / ".cache" / "mcp-gateway-tools" / "interop"
)
INSTALL_TIMEOUT = 900.0  # seconds for one cold pip install on a busy 2-core machine
_MARKER = ".interop-ready.json"


class HarnessError(RuntimeError):
    """A gateway could not be installed or started; the message says why."""


@dataclass(frozen=True)
class Pin:
    """One gateway's install: a venv directory name and the exact requirements."""

    name: str  # "<package>-<version>", the cache directory
    requirements: tuple[str, ...]
    entry_point: str  # the console script the venv must end up with

    def directory(self) -> Path:
        return CACHE_ROOT / self.name

    def marker(self) -> dict[str, object]:
        return {"requirements": list(self.requirements), "python": sys.version.split()[0]}


CONTEXTFORGE = Pin(
    "mcp-contextforge-gateway-1.0.7", ("mcp-contextforge-gateway==1.0.7",), "mcpgateway"
)
LITELLM = Pin(
    "litellm-1.108.7",
    # prisma: without it LiteLLM answers every authentication failure with a 500.
    ("litellm[proxy]==1.108.7", "prisma==0.15.0"),
    "litellm",
)
MCP_PROXY = Pin("mcp-proxy-0.13.0", ("mcp-proxy==0.13.0",), "mcp-proxy")
PINS = (CONTEXTFORGE, LITELLM, MCP_PROXY)


@dataclass
class InstallReport:
    """What ensuring a venv did, for the suite's timing summary."""

    pin: Pin
    created: bool
    seconds: float


def ensure_venv(pin: Pin) -> InstallReport:
    """The pin's venv, created (or re-created) when missing or for other pins."""
    started = time.monotonic()
    target = pin.directory()
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    with _locked(CACHE_ROOT / f".{pin.name}.lock"):
        if _ready(target, pin):
            return InstallReport(pin, False, time.monotonic() - started)
        shutil.rmtree(target, ignore_errors=True)
        log = CACHE_ROOT / f"{pin.name}.install.log"
        with log.open("w") as out:
            for argv in _install_commands(target, pin):
                _run(argv, out, pin, log)
        if not (target / "bin" / pin.entry_point).exists():
            raise HarnessError(f"{pin.name}: installed, but has no {pin.entry_point!r} script")
        (target / _MARKER).write_text(json.dumps(pin.marker()))
    return InstallReport(pin, True, time.monotonic() - started)


def _install_commands(target: Path, pin: Pin) -> list[list[str]]:
    """Create the venv and install the pins: with uv when there is one, else with pip."""
    python = str(target / "bin" / "python")
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is not None:
        return [
            [uv, "venv", "--quiet", "--python", sys.executable, str(target)],
            [uv, "pip", "install", "--quiet", "--python", python, *pin.requirements],
        ]
    return [
        [sys.executable, "-m", "venv", str(target)],
        [python, "-m", "pip", "install", "--quiet", *pin.requirements],
    ]


def _ready(target: Path, pin: Pin) -> bool:
    try:
        return bool(json.loads((target / _MARKER).read_text()) == pin.marker())
    except (OSError, ValueError):
        return False


def _run(argv: list[str], out: object, pin: Pin, log: Path) -> None:
    try:
        done = subprocess.run(
            argv, stdout=out, stderr=subprocess.STDOUT, timeout=INSTALL_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise HarnessError(f"{pin.name}: {' '.join(argv)} timed out; see {log}") from exc
    if done.returncode != 0:
        raise HarnessError(
            f"{pin.name}: {' '.join(argv)} failed (exit {done.returncode}):\n{tail(log, 40)}"
        )


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive file lock: two test runs never build the same venv at once."""
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Installs:
    """All gateway venvs, installed concurrently from the first moment any is needed."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=len(PINS), thread_name_prefix="install")
        self._futures: dict[str, Future[InstallReport]] = {
            pin.name: self._pool.submit(ensure_venv, pin) for pin in PINS
        }

    def venv(self, pin: Pin) -> Path:
        """Wait for the pin's venv; raise :class:`HarnessError` if it failed."""
        self._futures[pin.name].result()
        return pin.directory()

    def reports(self) -> list[InstallReport]:
        return [f.result() for f in self._futures.values() if f.done() and not f.exception()]

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)


def tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class GatewayProcess:
    """A gateway subprocess on 127.0.0.1, health-checked, stopped by its PID.

    It runs in a session of its own, so stopping it also ends the workers it forked
    (their process group is the gateway's PID); nothing else is ever signalled.
    """

    name: str
    argv: Sequence[str]
    env: Mapping[str, str]
    cwd: Path
    port: int
    health_path: str = "/health"
    start_timeout: float = 300.0
    log: Path = field(init=False)
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.log = self.cwd / f"{self.name}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        """Launch and wait until healthy."""
        self.launch()
        self.wait_healthy()

    def launch(self) -> None:
        """Start the process without waiting for it (several gateways boot at once)."""
        if self._process is not None and self._process.poll() is None:
            return
        env = {**_base_env(), **self.env}
        with self.log.open("ab") as out:
            out.write(f"\n==== start {' '.join(self.argv)}\n".encode())
            self._process = subprocess.Popen(
                list(self.argv),
                cwd=self.cwd,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def wait_healthy(self) -> None:
        """Poll the health URL until it answers 200; bounded, and fails on early exit."""
        if self._process is None:
            raise HarnessError(f"{self.name} was never launched")
        deadline = time.monotonic() + self.start_timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise HarnessError(
                    f"{self.name} exited with {self._process.returncode} while starting:\n"
                    f"{tail(self.log)}"
                )
            try:
                answer = httpx2.get(self.url + self.health_path, timeout=2.0)
                if answer.status_code == 200:
                    return
                last = f"HTTP {answer.status_code}"
            except httpx2.HTTPError as exc:
                last = type(exc).__name__
            time.sleep(0.25)
        self.stop()
        raise HarnessError(
            f"{self.name} not healthy after {self.start_timeout:.0f}s ({last}):\n{tail(self.log)}"
        )

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass

    def restart(self) -> None:
        """Stop and start again on the same port: in-memory state (sessions) is gone."""
        self.stop()
        self.start()

    def log_tail(self, lines: int = 80) -> str:
        return tail(self.log, lines)


def _base_env() -> dict[str, str]:
    """A clean environment for a gateway: no proxies, no project venv on the path."""
    keep = ("HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE", "PIP_CERT")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    env["NO_PROXY"] = "127.0.0.1,localhost"
    return env


def venv_bin(venv: Path, script: str) -> str:
    return str(venv / "bin" / script)
