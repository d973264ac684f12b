"""Findings: what one check found in one test, and the error that fails it."""

import os
from dataclasses import dataclass
from typing import Any

from fixturestmp.leaks.advice import error_advice

__all__ = ["Leak", "LeakError", "format_bytes", "several"]


class LeakError(AssertionError):
    """A leak check with action ``fail`` found leaks.

    A subclass of :class:`AssertionError`, so test runners count it as a
    failure, not an error. The message has one ``LEAKED ...`` line per leak.

    :ivar leaks: The :class:`Leak` objects found.
    """

    def __init__(self, leaks: list["Leak"], style: str = "testtools") -> None:
        """Make the message: one line per leak, then what to do.

        :param style: Whose words the advice is in: ``testtools`` (also for
            unittest) or ``pytest``.
        """
        self.leaks = list(leaks)
        lines = [leak.summary for leak in self.leaks]
        super().__init__("\n".join(lines) + "\n" + error_advice(style))


@dataclass(frozen=True)
class Leak:
    """One check's finding in one test.

    :ivar check: The check's name, e.g. ``processes``.
    :ivar test_id: The test (or code location) that leaked.
    :ivar size: Bytes for ``memory``; a count of leaked things otherwise.
    :ivar what: A short description, e.g. ``50.2MB`` or
        ``process 1234 (sleep 60)``.
    :ivar detail: A longer, multi-line text for the ``leak-<check>`` detail.
    """

    check: str
    test_id: str
    size: int
    what: str
    detail: str

    @property
    def summary(self) -> str:
        """The one-line report, ``LEAKED <what> in <test id>``."""
        return f"LEAKED {self.what} in {self.test_id}"

    def record(self) -> dict[str, Any]:
        """Return the session manifest record for this leak."""
        return {
            "kind": "leak",
            "check": self.check,
            "id": self.test_id,
            "size": self.size,
            "summary": self.summary,
            "pid": os.getpid(),
        }


def format_bytes(size: int) -> str:
    """Return ``size`` in decimal megabytes, e.g. ``50.2MB`` (1MB = 10**6 B).

    Decimal like the ``MB`` suffix that ``memory_leak_limit`` accepts.
    """
    return f"{size / 10**6:.1f}MB"


def several(singular: str, plural: str, items: list[str], shown: int = 3) -> str:
    """Return ``thing a`` for one item, ``3 things a, b, c`` for several.

    Lists at most ``shown`` items, then ``and N more``.
    """
    if len(items) == 1:
        return f"{singular} {items[0]}"
    listed = ", ".join(items[:shown])
    if len(items) > shown:
        listed += f" and {len(items) - shown} more"
    return f"{len(items)} {plural} {listed}"
