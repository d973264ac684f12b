"""A start hook for every test of the process, for suites that ask for nothing.

Used by :mod:`fixturestmp._hooks.pertest` under ``fixturestmp run``. It wraps the
public ``run()`` of :class:`unittest.TestCase` and of testtools' test case
with :func:`functools.wraps` (whose ``__wrapped__`` lets
:mod:`fixturestmp._runtime.testruns` find the run underneath on the stack), and
passes the run a result that calls the hook at ``startTest``.
"""

import functools
import unittest
from collections.abc import Callable
from typing import Any

from fixturestmp._hooks.importhook import when_imported

__all__ = ["on_every_test"]

# Set on a run() wrapped here: it is wrapped once.
_MARK = "_fixturestmp_start"


def on_every_test(start: Callable[[unittest.TestCase], None]) -> None:
    """Call ``start(case)`` as every test of this process starts, before its
    ``setUp``: the one hook a suite that asks for nothing gets.

    A test run with no result object (``case.run()``) is left alone.
    """
    _wrap_run(unittest.TestCase, start)
    when_imported(
        "testtools.testcase", lambda module: _wrap_run(module.TestCase, start)
    )


def _wrap_run(kind: type, start: Callable[[unittest.TestCase], None]) -> None:
    run = kind.__dict__["run"]
    if getattr(run, _MARK, False):
        return
    # unittest 3.10-3.13 and testtools 2.7-2.9.1: run(result) calls
    # result.startTest(case) once, before setUp (testtools after it has
    # reset the case's cleanups), and tells it the test's outcome after.

    @functools.wraps(run)
    def run_with_start(
        case: unittest.TestCase, result: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        if result is not None:
            result = _Starter(result, start)
        return run(case, result, *args, **kwargs)

    setattr(run_with_start, _MARK, True)
    kind.run = run_with_start  # type: ignore[attr-defined]


class _Starter:
    """Passes everything on to ``result``, calling ``start`` at startTest."""

    def __init__(self, result: Any, start: Callable[[unittest.TestCase], None]) -> None:
        self._result = result
        self._start = start

    def __getattr__(self, name: str) -> Any:
        return getattr(self._result, name)

    def startTest(self, case: unittest.TestCase) -> Any:
        outcome = self._result.startTest(case)
        self._start(case)
        return outcome
