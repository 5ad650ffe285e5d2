"""A pytest plugin for running today's tests against an older source tree.

Today's tests import names the old tree lacks (``OAuthRequired``, ``_bodies``...);
without help, each such module fails to import and every test in it "fails" for a
reason that proves nothing. With this plugin a missing name of ``mcp_gateway_tools``
(or a missing submodule) resolves to a stand-in: a class no old code ever raises or
returns, which raises ``AbsentBefore`` when called. So each test runs against the old
behaviour and fails (or passes) on its own assertions; a test that needed a function
the old tree did not have fails with ``AbsentBefore: <name>``, which the report
(``tests.support.failed_before``) shows as "absent". Used only by that report.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import types
from typing import Any

import pytest

PACKAGE = "mcp_gateway_tools"


class AbsentBefore(NotImplementedError):
    """The old tree has no such name."""


class _Absent(type):
    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        raise AbsentBefore(cls.__qualname__)


def stand_in(module: str, name: str) -> type:
    return _Absent(name, (Exception,), {"__qualname__": f"{module}.{name}"})


def _missing_attribute(module: types.ModuleType) -> Any:
    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = stand_in(module.__name__, name)
        setattr(module, name, value)
        return value

    return __getattr__


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Gives every module of the package a stand-in ``__getattr__``; makes up the
    submodules the old tree does not have."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if not fullname.startswith(PACKAGE + "."):
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            spec = getattr(finder, "find_spec", lambda *a: None)(fullname, path, target)
            if spec is not None:
                spec.loader = _Wrapping(spec.loader)
                return spec
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: Any) -> types.ModuleType:
        return types.ModuleType(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        module.__getattr__ = _missing_attribute(module)  # type: ignore[method-assign]


class _Wrapping(importlib.abc.Loader):
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def create_module(self, spec: Any) -> Any:
        return self.inner.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        self.inner.exec_module(module)
        if "__getattr__" not in vars(module):
            module.__getattr__ = _missing_attribute(module)  # type: ignore[method-assign]


def pytest_configure(config: Any) -> None:
    sys.meta_path.insert(0, _Finder())
    importlib.import_module(PACKAGE)
    for name, module in list(sys.modules.items()):
        ours = name == PACKAGE or name.startswith(PACKAGE + ".")
        if ours and module is not None and "__getattr__" not in vars(module):
            module.__getattr__ = _missing_attribute(module)  # type: ignore[method-assign]


_exit_status = 0


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    global _exit_status
    _exit_status = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: Any) -> None:
    """Leave at once: the old tree may leave a non-daemon thread running, which would
    keep the interpreter alive after the report (the summary and junit XML are out)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status)
