"""Learning whether a test case failed, with no help from the test.

testtools cases report every exception to ``onException`` handlers the moment
it happens (setUp, the test, tearDown, cleanups), and ``expectThat`` sets
``force_failure``; fixturestmp adds one handler per case and schedules its
decisions as the case's very last cleanup. Plain unittest hides the outcome
from cleanups, so unittest cases use :class:`OutcomeMixin`, which reads it
after all cleanups have run.
"""

import sys
import unittest
from collections.abc import Callable
from types import FrameType
from typing import Any

import testtools
from testtools.testcase import _ExpectedFailure

__all__ = [
    "CaseOutcome",
    "OutcomeMixin",
    "find_case",
    "outcome_of",
]

_ATTR = "_fixturestmp_outcome"
_CASE_METHODS = frozenset({"useFixture", "enterContext", "tmp_path"})

Decider = Callable[[str], None]


class CaseOutcome:
    """The outcome of one test case as it is learned, and who waits for it.

    :ivar outcome: ``passed``, ``failed`` or ``skipped`` so far.
    """

    __slots__ = ("_case", "_deciders", "_finish_entry", "outcome")

    def __init__(self, case: unittest.TestCase) -> None:
        self._case = case
        self._deciders: list[Decider] = []
        self.outcome = "passed"
        # A testtools cleanup entry; None where the case calls finish itself.
        self._finish_entry = (
            (self.finish, (), {}) if isinstance(case, testtools.TestCase) else None
        )

    def on_exception(self, exc_info: Any) -> None:
        """testtools ``onException`` handler: classify the exception."""
        error_type = exc_info[0]
        if error_type is None:
            return
        if issubclass(error_type, unittest.SkipTest):
            if self.outcome == "passed":
                self.outcome = "skipped"
        elif not issubclass(error_type, _ExpectedFailure):
            self.outcome = "failed"

    def current(self) -> str:
        """Return the outcome as known now (``expectThat`` counts at once)."""
        if getattr(self._case, "force_failure", False):
            return "failed"
        return self.outcome

    def wait(self, decider: Decider) -> None:
        """Call ``decider(outcome)`` once the case's cleanups have all run."""
        if not self._deciders and self._finish_entry is not None:
            # testtools pops cleanups from the end: index 0 runs last.
            self._case._cleanups.insert(0, self._finish_entry)
        self._deciders.append(decider)

    def forget(self, decider: Decider) -> None:
        """Stop waiting: ``decider`` will not be called."""
        if decider in self._deciders:
            self._deciders.remove(decider)
        entry = self._finish_entry
        if not self._deciders and entry is not None:
            if entry in self._case._cleanups:
                self._case._cleanups.remove(entry)

    def finish(self, outcome: str | None = None) -> None:
        """Tell every waiting decider the outcome; then start afresh."""
        outcome = outcome or self.current()
        deciders, self._deciders = self._deciders, []
        self.outcome = "passed"
        errors = []
        for decide in reversed(deciders):
            try:
                decide(outcome)
            except Exception as error:  # raised below, once all have run
                errors.append(error)
        if errors:
            raise errors[0]


def outcome_of(case: unittest.TestCase) -> CaseOutcome | None:
    """Return a :class:`CaseOutcome` of ``case``, or None if unknowable.

    The outcome is knowable for testtools cases and for unittest cases that
    use :class:`OutcomeMixin`. A testtools case gives each caller a tracker
    of its own (its own exception handler and last cleanup): cheaper, per
    test, than sharing one through the case's attributes.
    """
    if isinstance(case, testtools.TestCase):
        tracker = CaseOutcome(case)
        case.addOnException(tracker.on_exception)
        return tracker
    tracker = case.__dict__.get(_ATTR)
    if tracker is None and isinstance(case, OutcomeMixin):
        tracker = case.__dict__[_ATTR] = CaseOutcome(case)
    return tracker


def find_case(depth: int = 12) -> unittest.TestCase | None:
    """Return the test case whose ``useFixture`` is running, if any."""
    frame: FrameType | None = sys._getframe(2)
    for _ in range(depth):
        if frame is None:
            return None
        if frame.f_code.co_name in _CASE_METHODS:
            candidate = frame.f_locals.get("self")
            if isinstance(candidate, unittest.TestCase):
                return candidate
        frame = frame.f_back
    return None


class OutcomeMixin:
    """Lets fixturestmp learn the outcome of a plain ``unittest.TestCase``.

    Put it first among the bases::

        class TestThing(fixturestmp.OutcomeMixin, unittest.TestCase):
            def test_it(self):
                path = self.useFixture(fixturestmp.TempDirFixture()).path

    Failures and errors in setUp, the test, tearDown and cleanups count; skips
    and expected failures do not.
    """

    def useFixture(self, fixture: Any) -> Any:
        """Set ``fixture`` up and schedule its cleanUp, as testtools does."""
        fixture.setUp()
        self.addCleanup(fixture.cleanUp)  # type: ignore[attr-defined]
        return fixture

    def doCleanups(self) -> Any:
        outcome = getattr(self, "_outcome", None)
        result = super().doCleanups()  # type: ignore[misc]
        tracker = self.__dict__.get(_ATTR)
        if tracker is not None:
            tracker.finish(_unittest_outcome(self, outcome))
        return result


def _unittest_outcome(case: Any, outcome: Any) -> str:
    if outcome is None:
        return "passed"
    if outcome.success:
        unexpected = outcome.expecting_failure and not outcome.expectedFailure
        return "failed" if unexpected else "passed"
    skipped = getattr(outcome.result, "skipped", ())
    if any(test is case for test, _ in skipped):
        return "skipped"
    return "failed"
