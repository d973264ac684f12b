"""The measuring part of the leak checks, without the fixture.

A probe measures twice: :meth:`Probe.start` before the code under test and
:meth:`Probe.stop` after it, which returns the :class:`Leak` found. A probe
whose findings must be confirmed by work that changes the process (the
``memory`` check collects garbage) takes its cheap second measurement in
:meth:`Probe.measure`, so that a :class:`ProbeSet` can take every check's
second measurement before any such work.

The checks users make (:class:`~fixturestmp.leaks.Check` and its
subclasses) are these probes with the fixture cycle of
:class:`fixtures.Fixture` on top. The pytest plugin uses the probes
directly: a pytest run then imports neither fixtures nor testtools, which
it does not otherwise need and whose import is most of what the cheap
checks cost a short suite (``benchmarks/real_suites.py``). A check's
module is imported only when the check is asked for.
"""

import importlib
from typing import TYPE_CHECKING, Any, ClassVar

from fixturestmp._config import resolve
from fixturestmp.leaks.advice import advice, check_style
from fixturestmp.leaks.findings import Leak

if TYPE_CHECKING:
    from fixturestmp._fixtures.session import SessionTempFixture

__all__ = ["CHEAP_CHECKS", "ORDER", "Probe", "ProbeSet", "probe_class"]

#: Every check but ``memory``: the set the benchmarks call cheap (``memory``
#: is as cheap on its common path, but confirms by collecting garbage).
CHEAP_CHECKS = ("environ", "fds", "files", "processes", "threads")

#: Checks start in this order and take their second measurement in the
#: reverse: memory is measured closest to the test, and leaked processes
#: are killed before the files they may hold are removed. A check that
#: confirms by changing the process (memory collects garbage) confirms
#: last, after every other check has measured: see :meth:`ProbeSet.stop`.
ORDER = ("files", "fds", "environ", "threads", "processes", "memory")

# Where each check's probe is: imported only when the check is asked for.
_PROBES = {
    "environ": ("fixturestmp.leaks.environ", "EnvironProbe"),
    "fds": ("fixturestmp.leaks.fds", "FdProbe"),
    "files": ("fixturestmp.leaks.files", "FileProbe"),
    "memory": ("fixturestmp.leaks.memory", "MemoryProbe"),
    "processes": ("fixturestmp.leaks.processes", "ProcessProbe"),
    "threads": ("fixturestmp.leaks.threads", "ThreadProbe"),
}


def probe_class(name: str) -> "type[Probe]":
    """Return the probe of the check called ``name`` (one of :data:`ORDER`),
    importing its module."""
    module, attribute = _PROBES[name]
    found: type[Probe] = getattr(importlib.import_module(module), attribute)
    return found


class Probe:
    """Two measurements, before and after the code under test.

    :ivar name: The check's name, as used in ``leak_checks``.
    :ivar options: The :class:`~fixturestmp.leaks.LeakCheck` options this
        check uses, of ``kill``, ``clean`` and ``memory_leak_limit``.
    :ivar action: ``report`` or ``fail``.
    :ivar style: Whose words the reports' advice is in: ``testtools``
        (``addCleanup``, fixtures; also for unittest) or ``pytest``
        (fixtures that yield, ``tmp_path``, ``monkeypatch``).
    :ivar confirms: Whether :meth:`stop` may change the process to confirm
        a finding (collect garbage); such checks stop last in a
        :class:`ProbeSet`.
    """

    name: ClassVar[str] = ""
    options: ClassVar[frozenset[str]] = frozenset()
    confirms: ClassVar[bool] = False

    def __init__(
        self,
        *,
        action: str | None = None,
        session: "SessionTempFixture | None" = None,
        style: str | None = None,
    ) -> None:
        """Check the options; nothing is measured until :meth:`start`.

        :param action: ``report`` or ``fail`` (default: the configured
            ``leak_action``).
        :param session: The :class:`~fixturestmp.SessionTempFixture` whose
            manifest records leaks (default: :func:`~fixturestmp.default_session`,
            used only when something leaked).
        :param style: ``testtools`` (default) or ``pytest``.
        :raises ConfigError: ``action`` or ``style`` is not valid.
        """
        super().__init__()
        self.action: str = resolve("leak_action", action)
        self.style: str = check_style(style)
        self._session = session

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


class ProbeSet(Probe):
    """The probes of the checks named in ``checks``, measured together.

    Each probe gets the options it has a use for and ignores the others.

    :ivar checks: The names of the checks run, in the order they start.
    :ivar members: The probes.
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
        **kwargs: Any,
    ) -> None:
        """Check the options; nothing is measured until :meth:`start`.

        :param checks: Names from ``environ``, ``fds``, ``files``, ``memory``,
            ``processes``, ``threads`` (or ``all``), as a sequence or a comma
            separated string (default: the configured ``leak_checks``).
        :param action: ``report`` or ``fail`` (default: configured).
        :param kill: ``processes`` terminates the leaked process trees.
        :param clean: ``files`` removes the entries the test added; ``environ``
            restores the environment and working directory.
        :param memory_leak_limit: RSS growth not reported by ``memory``
            (default: configured, 10 MiB unless set).

        Other keyword arguments are those of :class:`Probe`.

        :raises ConfigError: An option is not valid.
        """
        super().__init__(action=action, **kwargs)
        names = resolve("leak_checks", checks)
        self.checks: tuple[str, ...] = tuple(name for name in ORDER if name in names)
        given = {"kill": kill, "clean": clean, "memory_leak_limit": memory_leak_limit}
        self.members: list[Probe] = []
        for name in self.checks:
            member = self._member_class(name)
            options: dict[str, Any] = {key: given[key] for key in member.options}
            self.members.append(
                member(
                    action=self.action,
                    session=self._session,
                    style=self.style,
                    **options,
                )
            )
        # Measured, then stopped, in reverse order; those that confirm by
        # changing the process stop last (see stop()).
        backwards = self.members[::-1]
        self._measuring = [m for m in backwards if type(m).measure is not Probe.measure]
        self._stopping = [m for m in backwards if not m.confirms] + [
            m for m in self.members if m.confirms
        ]

    def _member_class(self, name: str) -> type[Probe]:
        return probe_class(name)

    def start(self) -> None:
        """Start every probe: the ``memory`` check last, closest to the test."""
        for member in self.members:
            member.start()

    def measure(self) -> None:
        for member in self._measuring:
            member.measure()

    def stop(self, test_id: str) -> list[Leak]:
        """Stop every probe; return what they found.

        Every probe takes its second measurement before any garbage is
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
        for member in self._stopping:
            try:
                leaks = member.stop(test_id)
            except Exception as error:  # the other checks still stop
                errors.append(error)
            else:
                if leaks:
                    found[member.name] = leaks
        if errors:
            raise errors[0]
        if not found:
            return []
        return [
            leak
            for member in reversed(self.members)
            for leak in found.get(member.name, [])
        ]
