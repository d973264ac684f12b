"""Leak checks: what a test left behind, as fixtures.

Each check measures before and after the code it watches and reports what
leaked, by name:

- ``files``: entries added to :func:`tempfile.gettempdir`
  (:class:`FileLeakCheck`, ``clean=True`` removes exactly them);
- ``processes``: child processes still running
  (:class:`ProcessLeakCheck`, ``kill=True`` terminates their trees);
- ``memory``: RSS growth above ``memory_leak_limit`` that survives a garbage
  collection (:class:`MemoryLeakCheck`);
- ``fds``: file descriptors left open (:class:`FdLeakCheck`);
- ``threads``: threads still alive (:class:`ThreadLeakCheck`);
- ``environ``: environment variables and working directory changed
  (:class:`EnvironLeakCheck`).

:class:`LeakCheck` runs several by name, each taking its second
measurement before any garbage is collected, so that no check's result
depends on the others. A leak becomes a ``leak-<check>``
detail of the test case, a ``kind: leak`` record in the session manifest and,
with action ``fail``, a :class:`LeakError`::

    with LeakCheck(checks=("environ", "processes"), action="fail"):
        run_the_code()

:class:`fixturestmp.TestCase` runs the configured ``leak_checks`` around
every test, and the pytest plugin runs them when asked
(``--fixturestmp-leaks=...``).
"""

from fixturestmp.leaks.base import Check
from fixturestmp.leaks.combined import CHEAP_CHECKS, CHECKS, LeakCheck
from fixturestmp.leaks.environ import EnvironLeakCheck
from fixturestmp.leaks.fds import FdLeakCheck
from fixturestmp.leaks.files import FileLeakCheck
from fixturestmp.leaks.findings import Leak, LeakError, format_bytes
from fixturestmp.leaks.memory import MemoryLeakCheck
from fixturestmp.leaks.processes import ProcessLeakCheck
from fixturestmp.leaks.threads import ThreadLeakCheck

__all__ = [
    "CHEAP_CHECKS",
    "CHECKS",
    "Check",
    "EnvironLeakCheck",
    "FdLeakCheck",
    "FileLeakCheck",
    "Leak",
    "LeakCheck",
    "LeakError",
    "MemoryLeakCheck",
    "ProcessLeakCheck",
    "ThreadLeakCheck",
    "format_bytes",
]
