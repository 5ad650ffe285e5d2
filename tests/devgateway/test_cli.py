"""The foreground entry point used by ``mcp-gateway-tools dev-gateway`` and ``python -m``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

from mcp_gateway_tools.devgateway._cli import main


def test_print_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--print-config"]) == 0
    config = json.loads(capsys.readouterr().out)
    assert set(config["servers"]) == {"knowledge", "search", "mail", "calendar"}


def test_mcp_oauth_preset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--mcp-oauth", "--print-config"]) == 0
    config = json.loads(capsys.readouterr().out)
    assert config["servers"]["calendar"]["auth"]["type"] == "mcp-oauth"
    assert config["servers"]["mail"]["auth"]["type"] == "oauth"
    assert main(["--mcp-oauth", "--config", str(tmp_path / "x.toml")]) == 2
    assert "not both" in capsys.readouterr().err


def test_bad_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[servers.x]\nsample = 'knowledge'\ntypo = 1\n")
    assert main(["--config", str(path)]) == 2
    assert "servers.x.typo" in capsys.readouterr().err


def test_python_dash_m_serves_and_prints_tokens(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    src = Path(__file__).resolve().parents[2] / "src"
    env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")])
    proc = subprocess.Popen(
        [sys.executable, "-m", "mcp_gateway_tools.devgateway", "--store", str(tmp_path / "g.db")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Press Ctrl-C" in line:
                break
        banner = "".join(lines)
        assert "MCP dev gateway running at http://127.0.0.1:" in banner, banner
        assert "dev-pat-alice" in banner
        assert "dev-va-ci-bot" in banner
        assert f"Grants: {tmp_path / 'g.db'} (shared file, kept)" in banner
        base = banner.split("running at ")[1].split()[0]
        resp = httpx2.get(f"{base}/healthz", timeout=10)
        assert resp.json()["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        if proc.stdout:
            proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()


def test_without_the_extra_the_error_names_it() -> None:
    code = (
        "import sys\n"
        "sys.modules['joserfc'] = None\n"
        "import mcp_gateway_tools.devgateway as d\n"
        "import mcp_gateway_tools.devgateway.pytest_plugin\n"
        "from mcp_gateway_tools.devgateway._cli import main\n"
        "assert d.default_config().servers\n"
        "try:\n"
        "    d.DevGateway\n"
        "except ModuleNotFoundError as exc:\n"
        "    print('ERR', exc)\n"
        "print('RC', main([]))\n"
    )
    src = Path(__file__).resolve().parents[2] / "src"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert "ERR the dev gateway needs the 'devgateway' extra" in done.stdout, done.stderr
    assert "RC 1" in done.stdout
    assert "mcp-gateway-tools[devgateway]" in done.stderr
