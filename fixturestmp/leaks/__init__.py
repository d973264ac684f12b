"""Leak checks: what a test left behind, as fixtures.

Each check measures before and after the code it watches and reports what
leaked, by name:

- ``files``: entries added to :func:`tempfile.gettempdir`
  (:class:`FileLeakCheck`, ``clean=True`` removes exactly them);
- ``processes``: child processes still running
  (:class:`ProcessLeakCheck`, ``kill=True`` terminates their trees);
- ``memory``: RSS growth above ``memory_leak_limit`` that survives a garbage
  collection (:class:`MemoryLeakCheck`);
- ``fds``: file descriptors left open (:class:`FdLeakCheck`);
- ``threads``: threads still alive (:class:`ThreadLeakCheck`);
- ``environ``: environment variables and working directory changed
  (:class:`EnvironLeakCheck`).

:class:`LeakCheck` runs several by name, each taking its second
measurement before any garbage is collected, so that no check's result
depends on the others. A leak becomes a ``leak-<check>``
detail of the test case, a ``kind: leak`` record in the session manifest and,
with action ``fail``, a :class:`LeakError`::

    with LeakCheck(checks=("environ", "processes"), action="fail"):
        run_the_code()

:class:`fixturestmp.TestCase` runs the configured ``leak_checks`` around
every test, and the pytest plugin runs them when asked
(``--fixturestmp-leaks=...``).
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fixturestmp.leaks.base import Check
    from fixturestmp.leaks.checks import (
        CHEAP_CHECKS,
        CHECKS,
        EnvironLeakCheck,
        FdLeakCheck,
        FileLeakCheck,
        LeakCheck,
        MemoryLeakCheck,
        ProcessLeakCheck,
        ThreadLeakCheck,
    )
    from fixturestmp.leaks.findings import Leak, LeakError, format_bytes

__all__ = [
    "CHEAP_CHECKS",
    "CHECKS",
    "Check",
    "EnvironLeakCheck",
    "FdLeakCheck",
    "FileLeakCheck",
    "Leak",
    "LeakCheck",
    "LeakError",
    "MemoryLeakCheck",
    "ProcessLeakCheck",
    "ThreadLeakCheck",
    "format_bytes",
]

# Imported on first use: the pytest plugin uses the probes
# (fixturestmp.leaks.probe), without fixtures and testtools.
_MODULES = {
    "CHEAP_CHECKS": "fixturestmp.leaks.probe",
    "CHECKS": "fixturestmp.leaks.checks",
    "Check": "fixturestmp.leaks.base",
    "EnvironLeakCheck": "fixturestmp.leaks.checks",
    "FdLeakCheck": "fixturestmp.leaks.checks",
    "FileLeakCheck": "fixturestmp.leaks.checks",
    "Leak": "fixturestmp.leaks.findings",
    "LeakCheck": "fixturestmp.leaks.checks",
    "LeakError": "fixturestmp.leaks.findings",
    "MemoryLeakCheck": "fixturestmp.leaks.checks",
    "ProcessLeakCheck": "fixturestmp.leaks.checks",
    "ThreadLeakCheck": "fixturestmp.leaks.checks",
    "format_bytes": "fixturestmp.leaks.findings",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
