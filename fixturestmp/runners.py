"""Everything fixturestmp asks of test runners' internals, in one place.

fixturestmp learns a test's outcome with no help from the test. The public
APIs of unittest and testtools do not offer all it needs, so this module
reads a few of their private parts. Each use names the versions it was
checked against: CPython's unittest 3.10 (by reading its source) and 3.11
(run), testtools 2.7 to 2.9.1. Nothing else in fixturestmp touches them.

How the case is found: it is the test case whose ``run()`` is on the
calling thread's stack, nearest first (unittest's, or testtools'; every
unittest-style runner, pytest's included, calls one of them); from another
thread, the one test case running in the process. Outside any running test
(``setUpClass``, ``setUpModule``, a script) there is none.
"""

import functools
import sys
import unittest
import weakref
from collections.abc import Callable
from types import FrameType
from typing import Any

import testtools
from testtools.testcase import _ExpectedFailure

__all__ = ["after_cleanups", "follow", "running_case", "test_name"]

Report = Callable[[str], None]

# Python 3.10-3.13 and testtools 2.7-2.9.1: every test runs inside one of
# these, and subclasses that override run() (IsolatedAsyncioTestCase) call
# unittest's in turn.
_RUN_CODES = frozenset(
    {unittest.TestCase.run.__code__, testtools.TestCase.run.__code__}
)
_FOLLOWER = "_fixturestmp_follower"
_HANDLER = "_fixturestmp_handler"


def running_case() -> unittest.TestCase | None:
    """Return the test case running on this thread, or the only one running
    in the process, or None.
    """
    case = _case_on_stack(sys._getframe(1))
    if case is not None:
        return case
    # A worker thread of a test: the test runs on another thread.
    found = {
        id(case): case
        for frame in sys._current_frames().values()
        if (case := _case_on_stack(frame)) is not None
    }
    return found.popitem()[1] if len(found) == 1 else None


def _case_on_stack(frame: FrameType | None) -> unittest.TestCase | None:
    while frame is not None:
        if frame.f_code in _RUN_CODES:
            # The first argument of run(): the running case.
            return frame.f_locals.get("self")
        frame = frame.f_back
    return None


def test_name(case: unittest.TestCase) -> str:
    """Return the name of the test method ``case`` runs."""
    # unittest 3.0+: set by TestCase.__init__ (testscenarios keeps it).
    return case._testMethodName


def after_cleanups(case: testtools.TestCase, callback: Callable[[], None]) -> None:
    """Run ``callback`` after every cleanup of ``case``, added before or after.

    testtools 2.7-2.9.1: ``_run_cleanups`` pops ``case._cleanups`` from the
    end until it is empty, so index 0 runs last.
    """
    case._cleanups.insert(0, (callback, (), {}))


def follow(case: unittest.TestCase, report: Report) -> "Follower | None":
    """Call ``report(outcome)`` once this run of ``case`` has ended.

    ``outcome`` is ``passed``, ``failed`` or ``skipped``, called after the
    case's last cleanup (and, for testtools, before its result hears of it,
    so details read final). Return the follower, or None where the case's
    run cannot be followed.
    """
    if isinstance(case, testtools.TestCase):
        return _TesttoolsFollower(case, report)
    if getattr(case, "_outcome", None) is None:
        return None  # Not inside run(): set up from outside any test.
    return _UnittestFollower(case, report)


class Follower:
    """Learns one run of a case's outcome as it happens."""

    def __init__(self, case: unittest.TestCase, report: Report) -> None:
        self._case = case
        self._report = report
        self.failed = False
        self.skipped = False

    def so_far(self) -> str:
        """Return the outcome as known now."""
        if self.failed:
            return "failed"
        return "skipped" if self.skipped else "passed"

    def _classify(self, error_type: type[BaseException] | None) -> None:
        if error_type is None:
            return
        if issubclass(error_type, unittest.SkipTest):
            self.skipped = True
        elif not issubclass(error_type, _ExpectedFailure):
            # testtools 2.7-2.9.1: an unexpected success is raised as
            # _UnexpectedSuccess; it counts as a failure, as runners report.
            self.failed = True


class _TesttoolsFollower(Follower):
    """testtools: ``onException`` hears every exception of setUp, the test,
    tearDown and the cleanups as it happens; ``expectThat`` sets
    ``force_failure``.
    """

    def __init__(self, case: testtools.TestCase, report: Report) -> None:
        super().__init__(case, report)
        case.__dict__[_FOLLOWER] = self
        if _HANDLER not in case.__dict__:
            # Handlers stay for the case's life (testtools has no public
            # way to remove one): one per case, passing on to its follower.
            case.__dict__[_HANDLER] = True
            # A weak reference: no cycle keeps the case alive until the
            # garbage collector runs.
            case.addOnException(functools.partial(_on_exception, weakref.ref(case)))
        after_cleanups(case, self._finish)

    def so_far(self) -> str:
        if getattr(self._case, "force_failure", False):
            return "failed"
        return super().so_far()

    def _finish(self) -> None:
        self._case.__dict__.pop(_FOLLOWER, None)
        self._report(self.so_far())


def _on_exception(case_ref: "weakref.ref[testtools.TestCase]", exc_info: Any) -> None:
    case = case_ref()
    follower = case.__dict__.get(_FOLLOWER) if case is not None else None
    if follower is not None:
        follower._classify(exc_info[0])


class _UnittestFollower(Follower):
    """unittest: the case's own ``doCleanups`` is wrapped for this run; the
    errors and skips reported to the run's result are heard on the way.
    """

    def __init__(self, case: unittest.TestCase, report: Report) -> None:
        super().__init__(case, report)
        # 3.10-3.13: run() keeps the run's state in case._outcome; 3.11+
        # reports errors and skips to _outcome.result as they happen.
        self._outcome = case._outcome  # type: ignore[attr-defined]
        self._result = self._outcome.result
        self._outcome.result = _Listener(self._result, self)
        self._do_cleanups = case.doCleanups
        case.doCleanups = self._finish  # type: ignore[method-assign]

    def _finish(self) -> Any:
        case, outcome = self._case, self._outcome
        try:
            return self._do_cleanups()
        finally:
            del case.doCleanups  # The instance attribute set above.
            outcome.result = self._result
            self._report(self._outcome_of(case, outcome))

    def _outcome_of(self, case: unittest.TestCase, outcome: Any) -> str:
        # 3.10 collects instead of reporting: _Outcome.errors, .skipped.
        for _, exc_info in getattr(outcome, "errors", ()):
            if exc_info is not None:
                self._classify(exc_info[0])
        self.skipped = self.skipped or bool(getattr(outcome, "skipped", ()))
        if not outcome.success and not self.skipped:
            self.failed = True  # An error reported before we listened.
        method = getattr(case, test_name(case), None)
        expecting = getattr(case, "__unittest_expecting_failure__", False) or (
            getattr(method, "__unittest_expecting_failure__", False)
        )
        if outcome.success and expecting and not outcome.expectedFailure:
            self.failed = True  # An unexpected success: runners fail it.
        return self.so_far()


class _Listener:
    """Passes everything on to ``result``, telling ``follower`` of errors."""

    def __init__(self, result: Any, follower: Follower) -> None:
        self._result = result
        self._follower = follower

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._result, name)
        if name in ("addError", "addFailure", "addSkip", "addSubTest"):
            return functools.partial(self._heard, name, value)
        return value

    def _heard(self, name: str, add: Callable[..., Any], *args: Any) -> Any:
        if name == "addSkip":
            self._follower.skipped = True
        elif name != "addSubTest":
            self._follower.failed = True
        elif args[-1] is not None:  # addSubTest(test, subtest, exc_info)
            self._follower._classify(args[-1][0])
        return add(*args)
