"""The checks as fixtures, and LeakCheck: several of them, by name, as one.

Each check is its probe (:mod:`fixturestmp.leaks.probe`, the measuring
part, in the check's own module) with the fixture cycle of
:class:`~fixturestmp.leaks.Check`.
"""

from typing import TYPE_CHECKING

from fixturestmp.leaks.base import Check
from fixturestmp.leaks.environ import EnvironProbe
from fixturestmp.leaks.fds import FdProbe
from fixturestmp.leaks.files import FileProbe
from fixturestmp.leaks.memory import MemoryProbe
from fixturestmp.leaks.probe import CHEAP_CHECKS, ProbeSet
from fixturestmp.leaks.processes import ProcessProbe
from fixturestmp.leaks.threads import ThreadProbe

if TYPE_CHECKING:
    from fixturestmp._fixtures.session import SessionTempFixture

__all__ = [
    "CHEAP_CHECKS",
    "CHECKS",
    "EnvironLeakCheck",
    "FdLeakCheck",
    "FileLeakCheck",
    "LeakCheck",
    "MemoryLeakCheck",
    "ProcessLeakCheck",
    "ThreadLeakCheck",
]


class EnvironLeakCheck(EnvironProbe, Check):
    __doc__ = EnvironProbe.__doc__


class FdLeakCheck(FdProbe, Check):
    __doc__ = FdProbe.__doc__


class FileLeakCheck(FileProbe, Check):
    __doc__ = FileProbe.__doc__


class MemoryLeakCheck(MemoryProbe, Check):
    __doc__ = MemoryProbe.__doc__


class ProcessLeakCheck(ProcessProbe, Check):
    __doc__ = ProcessProbe.__doc__


class ThreadLeakCheck(ThreadProbe, Check):
    __doc__ = ThreadProbe.__doc__


CHECKS: dict[str, type[Check]] = {
    check.name: check
    for check in (
        EnvironLeakCheck,
        FdLeakCheck,
        FileLeakCheck,
        MemoryLeakCheck,
        ProcessLeakCheck,
        ThreadLeakCheck,
    )
}


class LeakCheck(ProbeSet, Check):
    """The checks named in ``checks``, run together as one fixture.

    Each check gets the options it has a use for and ignores the others.
    With action ``fail``, one :class:`~fixturestmp.leaks.LeakError` names
    everything that leaked. The checks start in the order ``files``,
    ``fds``, ``environ``, ``threads``, ``processes``, ``memory``; see
    :meth:`~fixturestmp.leaks.probe.ProbeSet.stop` for how they stop.

    :ivar checks: The names of the checks run, in the order they start.
    :ivar members: The :class:`~fixturestmp.leaks.Check` objects.
    """

    def __init__(
        self,
        checks: str | tuple[str, ...] | list[str] | None = None,
        action: str | None = None,
        kill: bool = False,
        clean: bool = False,
        memory_leak_limit: int | str | None = None,
        *,
        session: "SessionTempFixture | None" = None,
        test_id: str | None = None,
        style: str | None = None,
    ) -> None:
        """Check the options; nothing is measured until setUp.

        :param checks: Names from ``environ``, ``fds``, ``files``, ``memory``,
            ``processes``, ``threads`` (or ``all``), as a sequence or a comma
            separated string (default: the configured ``leak_checks``).
        :param action: ``report`` or ``fail`` (default: configured).
        :param kill: ``processes`` terminates the leaked process trees.
        :param clean: ``files`` removes the entries the test added; ``environ``
            restores the environment and working directory.
        :param memory_leak_limit: RSS growth not reported by ``memory``
            (default: configured, 10 MiB unless set).
        :param session: See :class:`~fixturestmp.leaks.Check`.
        :param test_id: See :class:`~fixturestmp.leaks.Check`.
        :param style: See :class:`~fixturestmp.leaks.Check`.
        :raises ConfigError: An option is not valid.
        """
        super().__init__(
            checks,
            action,
            kill,
            clean,
            memory_leak_limit,
            session=session,
            test_id=test_id,
            style=style,
        )

    def _member_class(self, name: str) -> type[Check]:
        return CHECKS[name]
