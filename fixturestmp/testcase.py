"""TestCase: a testtools test case with a retained temporary directory."""

from pathlib import Path

import testtools

from fixturestmp.tempdir import TempDirFixture

__all__ = ["TestCase"]


class TestCase(testtools.TestCase):
    """A :class:`testtools.TestCase` with ``self.tmp_path``.

    ``tmp_path`` is made on first use, per test, by a
    :class:`~fixturestmp.TempDirFixture`: kept if the test fails (under the
    default policy), removed otherwise.
    """

    _tmp_fixture: TempDirFixture | None = None

    def setUp(self) -> None:
        super().setUp()
        self._tmp_fixture = None

    @property
    def tmp_path(self) -> Path:
        """This test's temporary directory, created on first use."""
        if self._tmp_fixture is None:
            self._tmp_fixture = self.useFixture(TempDirFixture())
        return self._tmp_fixture.path
