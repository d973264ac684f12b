"""Learning whether the running test failed, with no help from the test.

Each run of a test case that uses fixturestmp gets one :class:`CaseWatch`,
made by :func:`fixturestmp.runners.watch`: it learns the outcome as the run
goes (see :mod:`fixturestmp.runners` for how, per runner) and tells every
directory waiting on it once the run's last cleanup is done.
"""

import unittest
from collections.abc import Callable
from typing import Any

__all__ = ["CaseWatch", "OutcomeMixin"]

Decider = Callable[[str], None]


class CaseWatch:
    """One run of one test case, and the deciders waiting for its outcome.

    The runner's adapter sets :attr:`failed` and :attr:`skipped` as it
    learns them, and calls :meth:`end` after the run's last cleanup.

    :ivar case: The test case.
    :ivar ended: The outcome once the run has ended, else None.
    :ivar failed: Whether the run has failed so far.
    :ivar skipped: Whether the run has been skipped so far.
    """

    __slots__ = ("_deciders", "case", "ended", "failed", "skipped")

    def __init__(self, case: unittest.TestCase) -> None:
        self.case = case
        self.ended: str | None = None
        self.failed = False
        self.skipped = False
        self._deciders: list[Decider] = []

    def so_far(self) -> str:
        """Return the outcome as known now: ``passed``, ``failed``, ``skipped``."""
        if self.ended is not None:
            return self.ended
        if self.failed:
            return "failed"
        return "skipped" if self.skipped else "passed"

    def wait(self, decider: Decider) -> None:
        """Call ``decider(outcome)`` once the run's last cleanup has run."""
        self._deciders.append(decider)

    def end(self) -> None:
        """The run's last cleanup has run: tell every decider its outcome."""
        outcome = self.ended = self.so_far()
        deciders, self._deciders = self._deciders, []
        errors = []
        for decide in deciders:
            try:
                decide(outcome)
            except Exception as error:  # raised below, once all have run
                errors.append(error)
        if errors:
            raise errors[0]


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
