"""The ``memory`` check: resident memory (RSS) that grew during the test.

Cheap enough to leave on: around every test it returns the memory that the
C library holds freed to the system (``malloc_trim(0)``, where glibc has it:
about a µs when there is nothing to return) and reads RSS (psutil's
``memory_info()``), and nothing else. The trim matters: glibc raises its
mmap threshold after large blocks are freed, so that later large blocks
come from the heap and stay resident after they are freed; without it, a
test that only churns memory "grows" by tens of MB, and a test that keeps
50 MB after one that churned looks smaller than it is.

Garbage in reference cycles is not collected on that path (a full
collection costs tens of ms on a real suite's heap). So growth above
``memory_leak_limit`` is only a suspicion: it is confirmed by a full garbage
collection, a trim and a new measurement (twice, since finalizers run by
the first collection can free more), and reported only if the growth
survives that, as dask's resource-leak plugin confirms before it reports.
Cyclic garbage that the test finds already there is not collected before
the first measurement, so a confirmed growth may be understated by that
much, never overstated.

In a :class:`~fixturestmp.leaks.LeakCheck` the second measurement is taken
before any other check measures, and the confirmation after all of them,
so that no other check's result depends on whether ``memory`` is on.
"""

import ctypes
import gc
import os
from collections.abc import Callable
from typing import Any

import psutil

from fixturestmp.config import resolve
from fixturestmp.leaks.base import Check
from fixturestmp.leaks.findings import Leak, format_bytes
from fixturestmp.leaks.report import record_memory

__all__ = ["MemoryLeakCheck", "prepare", "rss", "trim"]


def _find_malloc_trim() -> Callable[[int], int] | None:
    try:
        # The running program's own symbols include its C library's.
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows)
        return None


_malloc_trim = _find_malloc_trim()
_process: psutil.Process | None = None


def rss() -> int:
    """Return this process's resident set size in bytes."""
    global _process
    if _process is None or _process.pid != os.getpid():
        _process = psutil.Process()
    return _process.memory_info().rss


def trim() -> None:
    """Return the memory that the C library holds freed to the system."""
    if _malloc_trim is not None:
        _malloc_trim(0)


def prepare() -> None:
    """Free what can be freed, so that RSS says what is really in use."""
    gc.collect()
    trim()


class MemoryLeakCheck(Check):
    """Reports RSS growth above ``memory_leak_limit`` that survives a
    garbage collection.

    The report reads ``LEAKED 50.2MB in <test id>``, in decimal megabytes
    (1MB = 10**6 bytes, as the ``MB`` suffix of ``memory_leak_limit``).
    Each measured test is also recorded in the session manifest, when there
    is a session, as ``{"kind": "memory", "id", "before", "after", "seq",
    "pid"}`` (bytes; ``seq`` orders the tests of one process).

    :ivar memory_leak_limit: Growth in bytes that is not reported.
    :ivar confirmed: Whether the last :meth:`stop` had to confirm a
        suspected leak (collect garbage and measure again).
    """

    name = "memory"
    options = frozenset({"memory_leak_limit"})
    confirms = True

    def __init__(
        self, memory_leak_limit: int | str | None = None, **kwargs: Any
    ) -> None:
        """Check the options; nothing is measured until setUp.

        Other keyword arguments are those of :class:`~fixturestmp.leaks.Check`.

        :param memory_leak_limit: Bytes, or a size like ``10MiB``
            (default: the configured value, 10 MiB unless set).
        :raises ConfigError: ``memory_leak_limit`` is not valid.
        """
        super().__init__(**kwargs)
        self.memory_leak_limit: int = resolve("memory_leak_limit", memory_leak_limit)
        self.confirmed = False
        self._after: int | None = None

    def start(self) -> None:
        self._after = None
        trim()
        self._before = rss()

    def measure(self) -> None:
        trim()
        self._after = rss()

    def stop(self, test_id: str) -> list[Leak]:
        if self._after is None:
            self.measure()
        before, after = self._before, self._after
        assert after is not None
        self._after = None
        self.confirmed = after - before > self.memory_leak_limit
        if self.confirmed:
            for _ in range(2):
                prepare()
                after = rss()
                if after - before <= self.memory_leak_limit:
                    break
        record_memory(test_id, before, after, self._session)
        growth = after - before
        if growth <= self.memory_leak_limit:
            return []
        limit = self.memory_leak_limit
        detail = (
            f"RSS grew by {format_bytes(growth)} ({growth} bytes): "
            f"{format_bytes(before)} before, {format_bytes(after)} after; "
            f"memory_leak_limit is {format_bytes(limit)} ({limit} bytes). "
            f"Measured again after collecting garbage and returning freed "
            f"memory to the system: the growth is still referenced."
        )
        advice = self.advice()
        if advice:
            detail += "\n" + advice
        return [Leak(self.name, test_id, growth, format_bytes(growth), detail)]
