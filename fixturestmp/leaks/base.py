"""The base of every leak check: two measurements and the fixture cycle.

A check measures twice: :meth:`Check.start` before the code under test and
:meth:`Check.stop` after it, which returns the :class:`Leak` found. A check
whose findings must be confirmed by work that changes the process (the
``memory`` check collects garbage) takes its cheap second measurement in
:meth:`Check.measure`, so that :class:`~fixturestmp.leaks.LeakCheck` can
take every check's second measurement before any such work. As a
fixture, ``setUp`` starts and ``cleanUp`` stops and reports; the per-test
integrations (:class:`fixturestmp.TestCase`, the pytest plugin) call
``start`` and ``stop`` themselves so that they can measure around the whole
test, fixtures and cleanups included.
"""

import unittest
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import fixtures

from fixturestmp.config import resolve
from fixturestmp.leaks.advice import advice, check_style
from fixturestmp.leaks.findings import Leak
from fixturestmp.leaks.report import settle
from fixturestmp.runners import running_case

if TYPE_CHECKING:
    from fixturestmp.session import SessionTempFixture

__all__ = ["Check"]


class Check(fixtures.Fixture):
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

    name: ClassVar[str] = ""
    options: ClassVar[frozenset[str]] = frozenset()
    confirms: ClassVar[bool] = False

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
        super().__init__()
        self.action: str = resolve("leak_action", action)
        self.style: str = check_style(style)
        self._session = session
        self._test_id = test_id
        self.leaks: list[Leak] = []

    def start(self) -> None:
        """Take the first measurement."""
        raise NotImplementedError(f"{type(self).__name__} must implement start()")

    def measure(self) -> None:
        """Take the second measurement now, where :meth:`stop` may confirm
        a finding by changing the process (collecting garbage).

        Most checks measure in :meth:`stop` and do nothing here.
        """

    def stop(self, test_id: str) -> list[Leak]:
        """Take the second measurement (unless :meth:`measure` took it);
        return what leaked since :meth:`start`.

        :param test_id: How to name the leaking code in the reports.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement stop()")

    def advice(self) -> str:
        """Return what to do about a leak this check found, in the words of
        :attr:`style`."""
        return advice(self.name, self.style)

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
