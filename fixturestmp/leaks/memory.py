"""The ``memory`` check: resident memory (RSS) that grew during the test.

Cheap enough to leave on: around every test it reads RSS (psutil's
``memory_info()``), and nothing else while RSS stays put. RSS is noisy:
garbage not yet collected, and memory that the C library keeps after it
was freed (glibc raises its mmap threshold after large blocks are freed, so
that later large blocks come from the heap and stay resident after they
are freed; a test that only churns memory can "grow" by tens of MB).

- Before the test: if RSS has grown by more than :data:`SLACK` since it was
  last measured right after a ``malloc_trim(0)`` (which returns the freed
  memory the C library holds, where glibc has it), it is trimmed and read
  again, so that the test starts from a clean figure (a trim's cost grows
  with the memory it returns, which must be faulted in again when it is
  used: it is not done while RSS stays put).
- After the test: RSS is read. Growth above ``memory_leak_limit`` is only a
  suspicion. It is first trimmed and read again (freed memory the C library
  kept); if the growth stays, it is confirmed by a full garbage collection,
  a trim and a new reading (twice, since finalizers run by the first
  collection can free more), and reported only if it survives that, as
  dask's resource-leak plugin confirms before it reports. A full collection
  costs in proportion to a real suite's heap: only a test that keeps memory
  pays it.

Cyclic garbage that the test finds already there is not collected before
the first measurement, so a confirmed growth may be understated by that
much (and by up to :data:`SLACK`), never overstated.

In a :class:`~fixturestmp.leaks.LeakCheck` the second measurement is taken
before any other check measures, and the confirmation after all of them,
so that no other check's result depends on whether ``memory`` is on.
"""

import ctypes
import gc
from collections.abc import Callable
from typing import Any

import psutil

from fixturestmp._config import resolve
from fixturestmp._process import forks
from fixturestmp.leaks.findings import Leak, format_bytes
from fixturestmp.leaks.probe import Probe
from fixturestmp.leaks.reporting import record_memory

__all__ = ["SLACK", "MemoryProbe", "prepare", "rss", "settled_rss", "trim"]

#: Bytes that RSS may grow by, since it was last measured just after a trim,
#: before the memory check trims again at the start of a test.
SLACK = 2 * 1024 * 1024


def _find_malloc_trim() -> Callable[[int], int] | None:
    try:
        # The running program's own symbols include its C library's.
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows)
        return None


_malloc_trim = _find_malloc_trim()
_process: psutil.Process | None = None
# RSS just after the last trim, or lower since (None: not measured yet).
_clean: int | None = None


@forks.after_fork_in_child
def _forget_parents_figures() -> None:
    global _process, _clean
    _process = None  # The parent's process, not this one.
    _clean = None


def rss() -> int:
    """Return this process's resident set size in bytes."""
    global _process
    if _process is None:
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


def _trimmed_rss() -> int:
    """Trim, read RSS and remember it as the clean figure."""
    global _clean
    trim()
    now = rss()
    _clean = now
    return now


def settled_rss() -> int:
    """Return RSS, trimmed first if it grew by more than :data:`SLACK`
    since it was last read just after a trim."""
    global _clean
    now = rss()
    if _clean is None or now > _clean + SLACK:
        return _trimmed_rss()
    _clean = min(_clean, now)
    return now


class MemoryProbe(Probe):
    """Reports RSS growth above ``memory_leak_limit`` that survives a
    garbage collection.

    The report reads ``LEAKED 50.2MB in <test id>``, in decimal megabytes
    (1MB = 10**6 bytes, as the ``MB`` suffix of ``memory_leak_limit``).
    Each measured test is also recorded in the session manifest, when there
    is a session, as ``{"kind": "memory", "id", "before", "after", "seq",
    "pid"}`` (bytes; ``seq`` orders the tests of one process).

    :ivar memory_leak_limit: Growth in bytes that is not reported.
    :ivar confirmed: Whether the last :meth:`stop` had to collect garbage
        to confirm a suspected leak.
    """

    name = "memory"
    options = frozenset({"memory_leak_limit"})
    confirms = True

    def __init__(
        self, memory_leak_limit: int | str | None = None, **kwargs: Any
    ) -> None:
        """Check the options; nothing is measured until setUp.

        Other keyword arguments are those of
        :class:`~fixturestmp.leaks.probe.Probe`.

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
        self._before = settled_rss()

    def measure(self) -> None:
        self._after = rss()

    def stop(self, test_id: str) -> list[Leak]:
        if self._after is None:
            self.measure()
        before, after = self._before, self._after
        assert after is not None
        self._after = None
        limit = self.memory_leak_limit
        self.confirmed = False
        if after - before > limit:
            # Freed memory the C library kept, first: no collection needed.
            after = _trimmed_rss()
        if after - before > limit:
            self.confirmed = True
            for _ in range(2):
                gc.collect()
                after = _trimmed_rss()
                if after - before <= limit:
                    break
        record_memory(test_id, before, after, self._session)
        growth = after - before
        if growth <= limit:
            return []
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
