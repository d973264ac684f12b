"""LeakCheck: several checks, by name, as one fixture."""

from typing import TYPE_CHECKING, Any

from fixturestmp.config import resolve
from fixturestmp.leaks.base import Check
from fixturestmp.leaks.environ import EnvironLeakCheck
from fixturestmp.leaks.fds import FdLeakCheck
from fixturestmp.leaks.files import FileLeakCheck
from fixturestmp.leaks.findings import Leak
from fixturestmp.leaks.memory import MemoryLeakCheck
from fixturestmp.leaks.processes import ProcessLeakCheck
from fixturestmp.leaks.threads import ThreadLeakCheck

if TYPE_CHECKING:
    from fixturestmp.session import SessionTempFixture

__all__ = ["CHEAP_CHECKS", "CHECKS", "LeakCheck"]

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

#: Every check but ``memory``: the set the benchmarks call cheap (``memory``
#: is as cheap on its common path, but confirms by collecting garbage).
CHEAP_CHECKS = ("environ", "fds", "files", "processes", "threads")

# Checks start in this order and take their second measurement in the
# reverse: memory is measured closest to the test, and leaked processes are
# killed before the files they may hold are removed. A check that confirms
# by changing the process (memory collects garbage) confirms last, after
# every other check has measured: see LeakCheck.stop.
_ORDER = ("files", "fds", "environ", "threads", "processes", "memory")


class LeakCheck(Check):
    """The checks named in ``checks``, run together as one fixture.

    Each check gets the options it has a use for and ignores the others.
    With action ``fail``, one :class:`~fixturestmp.leaks.LeakError` names
    everything that leaked.

    :ivar checks: The names of the checks run, in the order they start.
    :ivar members: The :class:`~fixturestmp.leaks.Check` objects.
    """

    name = "all"
    options = frozenset({"kill", "clean", "memory_leak_limit"})

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
        super().__init__(action=action, session=session, test_id=test_id, style=style)
        names = resolve("leak_checks", checks)
        self.checks: tuple[str, ...] = tuple(name for name in _ORDER if name in names)
        given = {"kill": kill, "clean": clean, "memory_leak_limit": memory_leak_limit}
        self.members: list[Check] = []
        for name in self.checks:
            check = CHECKS[name]
            options: dict[str, Any] = {key: given[key] for key in check.options}
            self.members.append(
                check(action=self.action, session=session, style=self.style, **options)
            )

    def start(self) -> None:
        """Start every check: the ``memory`` check last, closest to the test."""
        for check in self.members:
            check.start()

    def measure(self) -> None:
        for check in reversed(self.members):
            check.measure()

    def stop(self, test_id: str) -> list[Leak]:
        """Stop every check; return what they found.

        Every check takes its second measurement before any garbage is
        collected: the ``memory`` check reads RSS first, the other checks
        measure and report, and only then does ``memory`` confirm a
        suspected leak (collect garbage, measure again). So each check finds
        the same whatever other checks are on. An error in one check is
        raised after the others have stopped.
        """
        found: dict[str, list[Leak]] = {}
        errors: list[BaseException] = []
        try:
            self.measure()
        except Exception as error:
            errors.append(error)
        confirming = [check for check in self.members if check.confirms]
        others = [check for check in reversed(self.members) if not check.confirms]
        for check in others + confirming:
            try:
                found[check.name] = check.stop(test_id)
            except Exception as error:  # the other checks still stop
                errors.append(error)
        if errors:
            raise errors[0]
        return [
            leak
            for check in reversed(self.members)
            for leak in found.get(check.name, [])
        ]
