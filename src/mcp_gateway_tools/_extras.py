"""Optional extras: a missing framework names the ``pip install`` that brings it.

The adapters import their framework at import time; without the extra, Python's own
``ModuleNotFoundError: No module named 'langchain_core'`` says nothing about which
extra of this package to install. Each adapter package therefore imports its
``_require`` module first, which calls :func:`require`: the framework's own modules
are imported up front and a missing one raises :class:`MissingExtraError` naming the
``pip install`` to run.
"""

from __future__ import annotations

import importlib

__all__ = ["EXTRAS", "MissingExtraError", "require"]

# extra name -> top-level modules it provides
EXTRAS: dict[str, tuple[str, ...]] = {
    "langchain": ("langchain_core", "langchain", "langgraph"),
    "llamaindex": ("llama_index",),
    "devgateway": (
        "starlette",
        "uvicorn",
        "authlib",
        "joserfc",
        "python_multipart",
        "platformdirs",
    ),
    "notebook": ("IPython",),
    "oauth-stores": ("cryptography", "diskcache"),
    "oauth-postgres": ("cryptography", "asyncpg"),
}


class MissingExtraError(ModuleNotFoundError):
    """A part of mcp-gateway-tools needs an extra that is not installed.

    ``extra`` is the extra's name; ``install`` the command that installs it. It is a
    ``ModuleNotFoundError`` (so an ``ImportError``): existing ``except`` clauses work.
    """

    def __init__(self, extra: str, module: str | None, what: str) -> None:
        self.extra = extra
        self.install = f"pip install 'mcp-gateway-tools[{extra}]'"
        missing = f" ({module} is not installed)" if module else ""
        super().__init__(f"{what} needs the '{extra}' extra{missing}: {self.install}", name=module)


def require(extra: str, what: str) -> None:
    """Import the modules of ``extra`` or raise :class:`MissingExtraError` for ``what``.

    Only a missing module of the extra itself is translated; any other import failure
    inside the framework propagates unchanged (a real bug must not be disguised).
    """
    for module in EXTRAS[extra]:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if (exc.name or "").partition(".")[0] != module:
                raise
            raise MissingExtraError(extra, module, what) from None
