"""Learning whether the running test failed, with no help from the test.

Each run of a test that uses fixturestmp gets one :class:`CaseWatch`: it
learns the outcome as the run goes and tells every directory waiting on it
when the run's last cleanup is done, when a failure arrives after that, and
when the runner has reported the test. Under pytest the plugin
(:mod:`fixturestmp.pytest_plugin`) makes it from pytest's own reports of
each phase, and says which test runs through :func:`set_running_test`;
elsewhere :func:`fixturestmp._runtime.testruns.watch` makes it for the
unittest or testtools case running (see :mod:`fixturestmp._runtime.testruns`
for how). It uses no private internal: the adapter and the plugin drive it.
"""

from collections.abc import Callable
from typing import Any, Protocol

from fixturestmp.errors import call_each

__all__ = [
    "CaseWatch",
    "Waiter",
    "running_test",
    "set_running_test",
]

#: Returns the watch of the test a runner's plugin says is running, or None.
_running: "Callable[[], CaseWatch | None] | None" = None


def set_running_test(finder: "Callable[[], CaseWatch | None] | None") -> None:
    """Let a runner's plugin say which test runs: ``finder()`` returns its
    watch (made on first use) while one runs, else None; None withdraws it.
    """
    global _running
    _running = finder


def running_test() -> "CaseWatch | None":
    """Return the watch of the test a runner's plugin says is running."""
    finder = _running
    return finder() if finder is not None else None


class Waiter(Protocol):
    """What waits on a :class:`CaseWatch`: a directory whose fate hangs on
    its test's outcome.
    """

    def test_ended(self, outcome: str) -> None:
        """The test's last cleanup has run; ``outcome`` is known so far."""

    def test_failed(self) -> None:
        """A failure was heard after the test's last cleanup."""

    def test_reported(self, outcome: str) -> None:
        """The runner has reported the test: ``outcome`` is final."""


class CaseWatch:
    """One run of one test, and what waits for its outcome.

    The runner's adapter calls :meth:`fail` and sets :attr:`skipped` as it
    learns them, calls :meth:`end` after the run's last cleanup, and
    :meth:`report` once the runner has reported the test, when no failure
    can come any more. Until then a failure may still arrive (a test that
    runs its own cleanups, a ``run()`` that reports after its parent's, a
    pytest teardown): :meth:`fail` passes it on at once, so that what waits
    keeps its directory. A failure is final; a pass is final only once
    reported.

    :ivar case: The test case (or the runner's test item).
    :ivar ended: The outcome as known after the run's last cleanup, else None.
    :ivar reported: The final outcome, once reported, else None.
    :ivar failed: Whether the run has failed so far.
    :ivar skipped: Whether the run has been skipped so far.
    :ivar reports_later: Whether the adapter calls :meth:`report` itself,
        after :meth:`end`; else :meth:`end` reports.
    """

    __slots__ = (
        "_waiters",
        "case",
        "ended",
        "failed",
        "reported",
        "reports_later",
        "skipped",
    )

    def __init__(self, case: Any) -> None:
        self.case = case
        self.ended: str | None = None
        self.reported: str | None = None
        self.failed = False
        self.skipped = False
        self.reports_later = False
        self._waiters: list[Waiter] = []

    def test_id(self) -> str:
        """Return the id the runner reports the test under."""
        return str(self.case.id())

    def test_name(self) -> str:
        """Return the test's own name (a directory is named after it)."""
        return self.test_id().rpartition(".")[2]

    def so_far(self) -> str:
        """Return the outcome as known now: ``passed``, ``failed``, ``skipped``."""
        if self.failed:
            return "failed"
        return "skipped" if self.skipped else "passed"

    def wait(self, waiter: Waiter) -> None:
        """Tell ``waiter`` when the run ends, fails late, and is reported."""
        self._waiters.append(waiter)

    def fail(self) -> None:
        """The run failed: after its last cleanup, tell every waiter now."""
        self.failed = True
        if self.ended is not None and self.reported is None:
            call_each([waiter.test_failed for waiter in self._waiters])

    def end(self) -> None:
        """The run's last cleanup has run: tell every waiter the outcome so
        far; report it too unless :attr:`reports_later`.
        """
        if self.ended is not None:
            return
        outcome = self.ended = self.so_far()
        try:
            call_each([waiter.test_ended for waiter in self._waiters], outcome)
        finally:
            if not self.reports_later:
                self.report()

    def report(self) -> None:
        """The runner has reported the test: tell every waiter the final
        outcome. Ends the run first if nothing did.
        """
        if self.reported is not None:
            return
        if self.ended is None:
            self.reports_later = True
            self.end()
        outcome = self.reported = self.so_far()
        waiters, self._waiters = self._waiters, []
        call_each([waiter.test_reported for waiter in waiters], outcome)
