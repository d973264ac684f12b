"""The ``threads`` check: threads started by the test and still alive."""

import threading
import time
import traceback

from fixturestmp._runtime.interpreter import thread_frames
from fixturestmp.leaks.findings import Leak, several
from fixturestmp.leaks.probe import Probe

__all__ = ["ThreadProbe"]

# fixturestmp's own background threads carry this name prefix.
_OWN_PREFIX = "fixturestmp-"


class ThreadProbe(Probe):
    """Reports threads started during the test that are still alive after it.

    A new thread gets a short grace period to finish (a thread whose work is
    done may still be exiting). Threads named ``fixturestmp-...`` are never
    reported. The report shows where each leaked thread is waiting.
    """

    name = "threads"
    #: Seconds, in all, that new threads get to finish before they count.
    grace = 0.1

    def start(self) -> None:
        self._before = threading.enumerate()

    def stop(self, test_id: str) -> list[Leak]:
        now = threading.enumerate()
        if now == self._before:  # The same threads: most tests start none.
            return []
        before = set(self._before)
        new = [
            thread
            for thread in now
            if thread not in before and not thread.name.startswith(_OWN_PREFIX)
        ]
        if not new:
            return []
        deadline = time.monotonic() + self.grace
        for thread in new:
            try:
                thread.join(max(0.0, deadline - time.monotonic()))
            except (RuntimeError, AssertionError):
                pass  # A thread not started by threading cannot be joined.
        leaked = [thread for thread in new if thread.is_alive()]
        if not leaked:
            return []
        frames = thread_frames()
        lines = []
        for thread in leaked:
            lines.append(f"{thread!r}")
            frame = frames.get(thread.ident or -1)
            if frame is not None:
                stack = traceback.format_stack(frame, limit=3)
                lines.extend(
                    "  " + line.rstrip().replace("\n", "\n  ") for line in stack
                )
        lines.append(self.advice())
        what = several("thread", "threads", [thread.name for thread in leaked])
        return [Leak(self.name, test_id, len(leaked), what, "\n".join(lines))]
