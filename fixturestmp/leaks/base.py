"""The base of every leak check: a probe with the fixture cycle.

The measurements are those of :class:`~fixturestmp.leaks.probe.Probe`:
:meth:`~Check.start` before the code under test, :meth:`~Check.stop` after
it (and :meth:`~Check.measure` for a check that confirms by changing the
process). As a fixture, ``setUp`` starts and ``cleanUp`` stops and reports;
the per-test integrations (:class:`fixturestmp.TestCase`, the pytest
plugin) call ``start`` and ``stop`` themselves so that they can measure
around the whole test, fixtures and cleanups included.
"""

import unittest
from typing import TYPE_CHECKING, Any, Literal

import fixtures

from fixturestmp._runtime.testruns import running_case
from fixturestmp.leaks.findings import Leak
from fixturestmp.leaks.probe import Probe
from fixturestmp.leaks.reporting import settle

if TYPE_CHECKING:
    from fixturestmp._fixtures.session import SessionTempFixture

__all__ = ["Check"]


class Check(Probe, fixtures.Fixture):
    """Base of the leak checks: a fixture that compares before and after.

    Used as a fixture (``useFixture`` or ``with``), it measures at setUp and
    compares at cleanUp. Leaks are reported as ``leak-<check>`` details of the
    test case whose ``useFixture`` set it up (or kept in :attr:`leaks` in a
    ``with`` block) and recorded in the session manifest; with action ``fail``
    cleanUp raises :class:`LeakError`, unless the block already raised.

    :ivar name: The check's name, as used in ``leak_checks``.
    :ivar options: The :class:`~fixturestmp.leaks.LeakCheck` options this
        check uses, of ``kill``, ``clean`` and ``memory_leak_limit``.
    :ivar action: ``report`` or ``fail``.
    :ivar style: Whose words the reports' advice is in: ``testtools``
        (``addCleanup``, fixtures; also for unittest) or ``pytest``
        (fixtures that yield, ``tmp_path``, ``monkeypatch``).
    :ivar leaks: What the last cleanUp found.
    :ivar confirms: Whether :meth:`stop` may change the process to confirm
        a finding (collect garbage); such checks stop last in a
        :class:`~fixturestmp.leaks.LeakCheck`.
    """

    def __init__(
        self,
        *,
        action: str | None = None,
        session: "SessionTempFixture | None" = None,
        test_id: str | None = None,
        style: str | None = None,
    ) -> None:
        """Check the options; nothing is measured until setUp.

        :param action: ``report`` or ``fail`` (default: the configured
            ``leak_action``).
        :param session: The :class:`~fixturestmp.SessionTempFixture` whose
            manifest records leaks (default: :func:`~fixturestmp.default_session`,
            used only when something leaked).
        :param test_id: How to name the leaking code in reports (default: the
            test case's id under ``useFixture``, else the check's class
            name, e.g. ``LeakCheck``).
        :param style: ``testtools`` (default) or ``pytest``.
        :raises ConfigError: ``action`` or ``style`` is not valid.
        """
        super().__init__(action=action, session=session, style=style)
        self._test_id = test_id
        self.leaks: list[Leak] = []

    def _setUp(self) -> None:
        self._case: unittest.TestCase | None = running_case()
        if self._test_id is not None:
            self._label = self._test_id
        elif self._case is not None:
            self._label = self._case.id()
        else:
            self._label = type(self).__name__
        self._block_failed = False
        self._started = False
        self.addCleanup(self._finish)
        self.start()
        self._started = True

    def __exit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> Literal[False]:
        # Never hide the block's own exception behind a LeakError.
        self._block_failed = exc_type is not None
        return super().__exit__(exc_type, exc_val, exc_tb)

    def _finish(self) -> None:
        if not self._started:
            return
        self.leaks = self.stop(self._label)
        settle(
            self.leaks,
            case=self._case,
            session=self._session,
            action="report" if self._block_failed else self.action,
            style=self.style,
        )
