"""Leak checks around every test, for suites that do not ask for them.

:class:`fixturestmp.TestCase` runs the configured ``leak_checks`` around each
of its tests. Under ``fixturestmp run``, every testtools and unittest test of
the run gets them too, with no edit to the suite: the start-up hook
(:mod:`fixturestmp._hooks.startup`) calls :func:`install` in every Python process of
the run, which starts the checks as each test starts, before its ``setUp``,
and stops them after its last cleanup.

Parallel workers (stestr's) share the temporary directory, where the
``files`` check looks: what one worker's test makes would count for the
test another worker runs meanwhile. So a process that checks ``files``
gives itself a temporary directory of its own, in the usual one, before its
first checked test (:func:`fixturestmp.leaks.files.own_temp_dir`); it is
removed at exit when empty, else it holds what tests leaked and stays.
"""

import atexit
import functools
import os
import unittest
from collections.abc import Callable
from typing import TYPE_CHECKING

from fixturestmp._config import resolve
from fixturestmp._hooks import everytest
from fixturestmp._process import forks
from fixturestmp._process.envvars import SESSION_ENV
from fixturestmp._runtime import testruns

if TYPE_CHECKING:
    from fixturestmp.leaks.probe import ProbeSet

__all__ = ["CHECKS_ITSELF", "check_test", "install"]

#: Set true on a test case class that runs :func:`check_test` itself
#: (:class:`fixturestmp.TestCase`): :func:`install` leaves its tests alone.
CHECKS_ITSELF = "_fixturestmp_checks_itself"


# Tests checked in this process, written to the session manifest at exit.
_checked = 0
# Probe sets not measuring a test now, by the checks they run. Made once
# and reused: making one resolves every option and makes a probe per check,
# much of what checking a test costs. A test run inside another gets its own.
_idle: dict[tuple[str, ...], list["ProbeSet"]] = {}
# Puts back the temporary directory this process had before its own.
_restore_temp_dir: Callable[[], None] | None = None


def check_test(case: unittest.TestCase, names: tuple[str, ...] | None = None) -> bool:
    """Start the leak checks for ``case``'s test; stop them after its last
    cleanup, then report the leaks as ``leak-<check>`` details and in the
    session manifest (and fail the test under ``leak_action`` ``fail``).

    :param names: The checks (default: the ``leak_checks`` option).
    :return: Whether any check runs.
    """
    names = resolve("leak_checks") if names is None else names
    if not names:
        return False
    if "files" in names:
        _own_temp_dir()
    idle = _idle.setdefault(names, [])
    probes = idle.pop() if idle else _new_probes(names)
    probes.start()
    testruns.after_cleanups(case, functools.partial(_stop, case, probes, idle))
    global _checked
    if not _checked and os.environ.get(SESSION_ENV):
        # Under fixturestmp run, which reads the count: join the run's
        # session first, so the count is written before this process
        # leaves the session at exit (last registered, first run).
        from fixturestmp._fixtures.session import default_session

        default_session()
        atexit.register(_record_count)
    _checked += 1
    return True


def _new_probes(names: tuple[str, ...]) -> "ProbeSet":
    from fixturestmp.leaks.probe import ProbeSet

    return ProbeSet(names)


def _own_temp_dir() -> None:
    global _restore_temp_dir
    if _restore_temp_dir is None:
        from fixturestmp.leaks.files import own_temp_dir

        _restore_temp_dir = own_temp_dir(f"worker-{os.getpid()}")
        atexit.register(_restore_temp_dir)


def _stop(case: unittest.TestCase, probes: "ProbeSet", idle: list["ProbeSet"]) -> None:
    try:
        leaks = probes.stop(case.id())
        if leaks:
            from fixturestmp.leaks.reporting import settle

            settle(leaks, case=case, action=probes.action)
    finally:
        idle.append(probes)


def install() -> None:
    """Check every test of this process that does not check itself."""
    names = resolve("leak_checks")
    if not names:
        return

    def start(case: unittest.TestCase) -> None:
        if not getattr(case, CHECKS_ITSELF, False):
            check_test(case, names)

    everytest.on_every_test(start)


def _record_count() -> None:
    """Tell ``fixturestmp run`` how many tests were checked here."""
    from fixturestmp._fixtures.session import default_session

    default_session().manifest.append({"kind": "checked", "count": _checked})


@forks.after_fork_in_child
def _count_own_tests() -> None:
    # A forked child counts its own tests, not its parent's again.
    global _checked
    _checked = 0
    atexit.unregister(_record_count)
    # It shares its parent's temporary directory, which outlives it.
    if _restore_temp_dir is not None:
        atexit.unregister(_restore_temp_dir)
