"""Disposable temporary directories for test suites, with retention.

Keep the directories of failed tests, drop the rest, bound how many past runs
stay on disk, and catch tests that leak resources.

The public names are imported on first use, so that the ``fixturestmp``
command does not pay for fixtures and testtools when it does not need them.
"""

import importlib
from typing import TYPE_CHECKING, Any

# Notes the temporary directory before any test can move it (os only).
import fixturestmp._process.systemtmp  # noqa: F401

if TYPE_CHECKING:
    from fixturestmp._fixtures.dropin import TempDir
    from fixturestmp._fixtures.session import SessionTempFixture, default_session
    from fixturestmp._fixtures.tempdir import TempDirFixture
    from fixturestmp.errors import ConfigError, SessionStateError, UnsafeRootError
    from fixturestmp.leaks import LeakCheck, LeakError
    from fixturestmp.policy import RetentionPolicy
    from fixturestmp.testcase import OutcomeMixin, TestCase

__all__ = [
    "ConfigError",
    "LeakCheck",
    "LeakError",
    "OutcomeMixin",
    "RetentionPolicy",
    "SessionStateError",
    "SessionTempFixture",
    "TempDir",
    "TempDirFixture",
    "TestCase",
    "UnsafeRootError",
    "default_session",
]

_MODULES = {
    "ConfigError": "fixturestmp.errors",
    "LeakCheck": "fixturestmp.leaks",
    "LeakError": "fixturestmp.leaks",
    "OutcomeMixin": "fixturestmp.testcase",
    "RetentionPolicy": "fixturestmp.policy",
    "SessionStateError": "fixturestmp.errors",
    "SessionTempFixture": "fixturestmp._fixtures.session",
    "TempDir": "fixturestmp._fixtures.dropin",
    "TempDirFixture": "fixturestmp._fixtures.tempdir",
    "TestCase": "fixturestmp.testcase",
    "UnsafeRootError": "fixturestmp.errors",
    "default_session": "fixturestmp._fixtures.session",
}


# Public submodules, reachable as fixturestmp.<name> after import fixturestmp.
_SUBMODULES = frozenset({"leaks"})


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"fixturestmp.{name}")
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'fixturestmp' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | _SUBMODULES)
