"""The ``fds`` check: file descriptors opened by the test and left open.

Descriptors are listed from ``/proc/self/fd`` (``/dev/fd`` where ``/proc``
does not answer: :data:`fixturestmp._process.proc.FD_DIR`) and what they are
open on is read only when something is new
(:func:`fixturestmp._process.proc.fd_target`). The
listing's own descriptor is told apart without a call per descriptor: it
was the lowest free number, and is again once the listing is done. A
descriptor number that was open before counts as old even if it now points
elsewhere.

Listing ``/proc/self/fd`` costs the kernel a lookup per descriptor, and
most tests open and close none: the last listing is reused while it is
exactly what is open, which two system calls tell. The kernel's count of
open descriptors (:func:`fixturestmp._process.proc.open_fd_count`) is the same, and
every descriptor listed is still open (one ``poll`` of them all, which
marks a closed one ``POLLNVAL``): then the open ones are those listed.
"""

import os
import select

from fixturestmp._process import proc
from fixturestmp._store.basedir import is_base_name
from fixturestmp.leaks.findings import Leak, several
from fixturestmp.leaks.ignored import FdOwners
from fixturestmp.leaks.probe import Probe

__all__ = ["FdProbe"]

_MAX_LISTED = 200


def _open_fds() -> set[int]:
    # Listing opens a descriptor of its own, closed again by the time the
    # list is returned. open() gives the lowest free number, so that
    # descriptor is the lowest free one again now: the number a descriptor
    # made now gets. A number listed and free now is not open.
    listed = {int(name) for name in os.listdir(proc.FD_DIR)}
    listed.discard(_lowest_free(listed))
    return listed


# The descriptors open when last listed, and a poll object on them.
_last: tuple[frozenset[int], "select.poll"] | None = None


def _current_fds() -> frozenset[int]:
    """Return the numbers of the open descriptors: those last listed while
    no other is open and none of them is closed, else a new listing."""
    global _last
    count = proc.open_fd_count()
    if count is None:
        return frozenset(_open_fds())
    if _last is not None and count == len(_last[0]):
        listed, poller = _last
        try:
            closed = any(events & select.POLLNVAL for _, events in poller.poll(0))
        except OSError:
            closed = True
        if not closed:
            return listed
    listed = frozenset(_open_fds())
    poller = select.poll()
    for fd in listed:
        poller.register(fd, 0)  # No events asked: only POLLNVAL, HUP, ERR.
    _last = (listed, poller)
    return listed


def _lowest_free(listed: set[int]) -> int:
    # A copy of any open descriptor gets the lowest free number, as open()
    # would, without opening a path. The first listed may be the listing's
    # own, closed now: then the next.
    for fd in sorted(listed):
        try:
            spare = os.dup(fd)
        except OSError:
            continue
        os.close(spare)
        return spare
    return -1


class FdProbe(Probe):
    """Reports file descriptors that the test opened and did not close.

    Descriptors on fixturestmp's own files (its session manifest, locks,
    the ``/proc`` files the ``processes`` check keeps open) are never
    reported, nor those the Python runtime keeps for the life of the
    process: multiprocessing's shared-memory heap and its pipes to its
    helper processes, eventlet's hub (:mod:`fixturestmp.leaks.ignored`).
    """

    name = "fds"

    def start(self) -> None:
        self._before = _current_fds()

    def stop(self, test_id: str) -> list[Leak]:
        new = sorted(_current_fds() - self._before)
        if not new:
            return []
        leaked = []
        runtime = FdOwners()
        ours = proc.kept_descriptors()
        for fd in new:
            if fd in ours:
                continue
            target = proc.fd_target(fd)
            if target is None:
                continue  # Closed since it was listed.
            if any(is_base_name(part) for part in target.split(os.sep)):
                continue
            if runtime.owned(target, fd):
                continue
            leaked.append((fd, target))
        if not leaked:
            return []
        items = [f"{fd} ({target})" for fd, target in leaked]
        lines = [f"fd {item}" for item in items[:_MAX_LISTED]]
        if len(items) > _MAX_LISTED:
            lines.append(f"... and {len(items) - _MAX_LISTED} more")
        lines.append(self.advice())
        what = several("file descriptor", "file descriptors", items)
        return [Leak(self.name, test_id, len(leaked), what, "\n".join(lines))]
