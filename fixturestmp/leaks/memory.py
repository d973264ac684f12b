"""The ``memory`` check: resident memory (RSS) that grew during the test.

RSS is noisy, so both measurements are prepared the same way: a full garbage
collection, then ``malloc_trim(0)`` where the C library has it. The trim
matters: glibc raises its mmap threshold after large blocks are freed, so
that later large blocks come from the heap and stay resident after they are
freed; without it, a test that only churns memory "grows" by tens of MB. A
suspected leak is prepared and measured once more before it is reported.
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

__all__ = ["MemoryLeakCheck", "prepare", "rss"]


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


def prepare() -> None:
    """Free what can be freed, so that RSS says what is really in use."""
    gc.collect()
    if _malloc_trim is not None:
        _malloc_trim(0)


class MemoryLeakCheck(Check):
    """Reports RSS growth above ``memory_leak_limit``.

    The report reads ``LEAKED 50.2MB in <test id>``, in decimal megabytes
    (1MB = 10**6 bytes, as the ``MB`` suffix of ``memory_leak_limit``).

    :ivar memory_leak_limit: Growth in bytes that is not reported.
    """

    name = "memory"
    options = frozenset({"memory_leak_limit"})

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

    def start(self) -> None:
        prepare()
        self._before = rss()

    def stop(self, test_id: str) -> list[Leak]:
        prepare()
        after = rss()
        if after - self._before > self.memory_leak_limit:
            # Finalizers run by the first collection can free more.
            prepare()
            after = rss()
        growth = after - self._before
        if growth <= self.memory_leak_limit:
            return []
        limit = self.memory_leak_limit
        detail = (
            f"RSS grew by {format_bytes(growth)} ({growth} bytes): "
            f"{format_bytes(self._before)} before, {format_bytes(after)} after; "
            f"memory_leak_limit is {format_bytes(limit)} ({limit} bytes). "
            f"Garbage was collected and freed memory returned to the system "
            f"before both measurements."
        )
        return [Leak(self.name, test_id, growth, format_bytes(growth), detail)]
