"""Learning whether the running test failed, with no help from the test.

Each run of a test case that uses fixturestmp gets one :class:`CaseWatch`:
it learns the outcome as the run goes (see :mod:`fixturestmp.runners` for
how, per runner) and tells every directory waiting on it once the run's last
cleanup is done.
"""

import unittest
from collections.abc import Callable
from typing import Any

from fixturestmp import runners

__all__ = ["CaseWatch", "OutcomeMixin", "watch_case"]

_ATTR = "_fixturestmp_watch"

Decider = Callable[[str], None]


class CaseWatch:
    """One run of one test case, and the deciders waiting for its outcome.

    :ivar case: The test case.
    :ivar ended: The outcome once the run has ended, else None.
    """

    def __init__(self, case: unittest.TestCase) -> None:
        self.case = case
        self.ended: str | None = None
        self._deciders: list[Decider] = []
        self._follower = runners.follow(case, self._finish)

    @property
    def followed(self) -> bool:
        """Whether the outcome is learned (the case runs a test now)."""
        return self._follower is not None or self.ended is not None

    def so_far(self) -> str:
        """Return the outcome as known now: ``passed``, ``failed``, ``skipped``."""
        if self.ended is not None:
            return self.ended
        return self._follower.so_far() if self._follower is not None else "passed"

    def wait(self, decider: Decider) -> None:
        """Call ``decider(outcome)`` once the run's last cleanup has run."""
        self._deciders.append(decider)

    def forget(self, decider: Decider) -> None:
        """Stop waiting: ``decider`` will not be called."""
        if decider in self._deciders:
            self._deciders.remove(decider)

    def _finish(self, outcome: str) -> None:
        self.ended = outcome
        self._follower = None  # It holds this watch: no cycle left behind.
        if self.case.__dict__.get(_ATTR) is self:
            del self.case.__dict__[_ATTR]
        deciders, self._deciders = self._deciders, []
        errors = []
        for decide in deciders:
            try:
                decide(outcome)
            except Exception as error:  # raised below, once all have run
                errors.append(error)
        if errors:
            raise errors[0]


def watch_case(case: unittest.TestCase) -> CaseWatch:
    """Return the watch of the current run of ``case``, made on first use."""
    watch = case.__dict__.get(_ATTR)
    if watch is None:
        watch = case.__dict__[_ATTR] = CaseWatch(case)
    return watch


class OutcomeMixin:
    """Gives a plain ``unittest.TestCase`` testtools' ``useFixture``.

    No longer needed to learn the outcome (fixturestmp learns it for every
    ``unittest.TestCase``); kept for the suites that use it::

        class TestThing(fixturestmp.OutcomeMixin, unittest.TestCase):
            def test_it(self):
                path = self.useFixture(fixturestmp.TempDirFixture()).path
    """

    def useFixture(self, fixture: Any) -> Any:
        """Set ``fixture`` up and schedule its cleanUp, as testtools does."""
        fixture.setUp()
        self.addCleanup(fixture.cleanUp)  # type: ignore[attr-defined]
        return fixture
