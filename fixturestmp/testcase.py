"""The test case classes: TestCase, a testtools test case with a retained
temporary directory and leak checks, and OutcomeMixin."""

from pathlib import Path
from typing import Any

import testtools

from fixturestmp._fixtures.tempdir import TempDirFixture
from fixturestmp._hooks.pertest import CHECKS_ITSELF, check_test

__all__ = ["OutcomeMixin", "TestCase"]


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
        # Before anything else: what setUp and fixtures leak counts too.
        check_test(self)
        super().setUp()
        self._tmp_fixture = None

    @property
    def tmp_path(self) -> Path:
        """This test's temporary directory, created on first use."""
        if self._tmp_fixture is None:
            self._tmp_fixture = self.useFixture(TempDirFixture())
        return self._tmp_fixture.path


# It checks its own tests: fixturestmp run's per-test checks leave them be.
setattr(TestCase, CHECKS_ITSELF, True)


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
