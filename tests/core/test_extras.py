"""Without an extra, importing the part that needs it names the pip install to run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

_SRC = Path(__file__).resolve().parents[2] / "src"


def _import_with_hidden(
    modules: tuple[str, ...], statement: str
) -> subprocess.CompletedProcess[str]:
    """Run ``statement`` in a fresh interpreter where ``modules`` cannot be imported."""
    code = (
        "import sys\n"
        f"for name in {modules!r}:\n"
        "    sys.modules[name] = None\n"
        "try:\n"
        f"    {statement}\n"
        "except ImportError as exc:\n"
        "    from mcp_gateway_tools._extras import MissingExtraError\n"
        "    print(type(exc).__name__, isinstance(exc, MissingExtraError), exc.extra)\n"
        "    print(exc)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(_SRC), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("hidden", "statement", "extra"),
    [
        (("langchain_core",), "import mcp_gateway_tools.langchain", "langchain"),
        (("langgraph",), "from mcp_gateway_tools.langchain import GatewayToolkit", "langchain"),
        (("langchain_core",), "import mcp_gateway_tools.langchain.testing", "langchain"),
        (("llama_index",), "import mcp_gateway_tools.llamaindex", "llamaindex"),
        (
            ("llama_index",),
            "from mcp_gateway_tools.llamaindex.testing import scripted_llm",
            "llamaindex",
        ),
    ],
)
def test_a_missing_framework_names_the_extra_to_install(
    hidden: tuple[str, ...], statement: str, extra: str
) -> None:
    done = _import_with_hidden(hidden, statement)
    assert done.returncode == 0, done.stderr
    first, message = done.stdout.splitlines()[:2]
    assert first == f"MissingExtraError True {extra}"
    assert f"pip install 'mcp-gateway-tools[{extra}]'" in message
    assert hidden[0] in message


def test_the_core_imports_without_any_framework() -> None:
    done = _import_with_hidden(
        ("langchain_core", "langchain", "langgraph", "llama_index"),
        "import mcp_gateway_tools; print('core ok', mcp_gateway_tools.__version__)",
    )
    assert done.stdout.startswith("core ok"), done.stderr


def test_each_extra_in_pyproject_provides_the_modules_its_hint_names() -> None:
    """The extra a MissingExtraError names really installs the missing module."""
    import importlib.metadata
    import re
    import tomllib

    from mcp_gateway_tools._extras import EXTRAS

    pyproject = tomllib.loads((_SRC.parent / "pyproject.toml").read_text(encoding="utf-8"))
    extras = pyproject["project"]["optional-dependencies"]
    provided_by = importlib.metadata.packages_distributions()
    for extra, modules in EXTRAS.items():
        declared = {re.split(r"[<>=!~\[ ]", req, maxsplit=1)[0].lower() for req in extras[extra]}
        for module in modules:
            dists = {d.lower() for d in provided_by.get(module, [])}
            assert dists & declared, f"{module} is not installed by the '{extra}' extra"
