"""TestCase: a testtools test case with a retained temporary directory."""

import functools
from pathlib import Path

import testtools

from fixturestmp.config import resolve
from fixturestmp.leaks.combined import LeakCheck
from fixturestmp.leaks.report import settle
from fixturestmp.runners import after_cleanups
from fixturestmp.tempdir import TempDirFixture

__all__ = ["TestCase"]


class TestCase(testtools.TestCase):
    """A :class:`testtools.TestCase` with ``self.tmp_path`` and leak checks.

    ``tmp_path`` is made on first use, per test, by a
    :class:`~fixturestmp.TempDirFixture`: kept if the test fails (under the
    default policy), removed otherwise.

    The leak checks named by the ``leak_checks`` option (none by default)
    run around every test: measured at the start of ``setUp``, before
    anything else, and again after the test's last cleanup, so what fixtures
    and cleanups leak counts too. Leaks are reported as ``leak-<check>``
    details and in the session manifest, and fail the test when
    ``leak_action`` is ``fail``.
    """

    _tmp_fixture: TempDirFixture | None = None

    def setUp(self) -> None:
        self._start_leak_checks()
        super().setUp()
        self._tmp_fixture = None

    def _start_leak_checks(self) -> None:
        names = resolve("leak_checks")
        if not names:
            return
        check = LeakCheck(names)
        check.start()
        # After every cleanup, so what fixtures and cleanups leak counts.
        # The outcome of the test, learned after this, sees a leak failure.
        after_cleanups(self, functools.partial(self._stop_leak_checks, check))

    def _stop_leak_checks(self, check: LeakCheck) -> None:
        settle(check.stop(self.id()), case=self, action=check.action)

    @property
    def tmp_path(self) -> Path:
        """This test's temporary directory, created on first use."""
        if self._tmp_fixture is None:
            self._tmp_fixture = self.useFixture(TempDirFixture())
        return self._tmp_fixture.path
