"""What the Python runtime keeps for itself: never a test's leak.

multiprocessing starts helper processes once and keeps them for the life of
the process (the resource tracker, the forkserver), holds a pipe to each,
keeps its shared-memory heap open in descriptors of unlinked files named
``pym-<pid>-...`` (in ``/dev/shm``, else in its temporary directory), and
makes one temporary directory ``pymp-...`` per process, removed at exit.
eventlet makes a hub for each thread that uses it, holding an epoll
descriptor, and keeps it for the thread's life. A test that first uses
such a feature makes them, so the checks would blame it; they are
recognised here instead (reading their private state through
:mod:`fixturestmp._runtime`, the one adapter to private internals).
"""

import re

from fixturestmp._process import proc
from fixturestmp._runtime import interpreter

__all__ = [
    "HELPERS",
    "FdOwners",
    "helper_pids",
    "is_helper",
    "owned_temp_dir",
]


#: What the command line of a multiprocessing helper process contains.
HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")

# Helpers seen so far, by (pid, start), so that a command line is read once.
_helper_keys: set[tuple[int, float]] = set()
_HEAP_FILE = re.compile(r"/pym-\d+-[^/]*$")
_DELETED = " (deleted)"
_EPOLL = "anon_inode:[eventpoll]"


def is_helper(info: proc.ProcInfo) -> bool:
    """Return whether the process ``info`` is a multiprocessing helper."""
    if info.key in _helper_keys:
        return True
    command = proc.cmdline(info.pid, limit=1000)
    if any(helper in command for helper in HELPERS):
        _helper_keys.add(info.key)
        return True
    return False


def helper_pids() -> list[int]:
    """Return the pids of this process's multiprocessing helpers."""
    pids = []
    for pid in proc.child_pids():
        info = proc.info(pid)
        if info is not None and is_helper(info):
            pids.append(pid)
    return pids


class FdOwners:
    """Tells runtime-owned descriptors apart, reading the helpers' open
    descriptors once, and only when a pipe or socket needs it."""

    def __init__(self) -> None:
        self._helper_targets: set[str] | None = None

    def owned(self, target: str, fd: int | None = None) -> bool:
        """Return whether descriptor ``fd``, open on ``target``, is the
        runtime's: multiprocessing's heap (an unlinked ``pym-<pid>-...``
        file), a pipe or socket whose other end a multiprocessing helper
        holds, or the epoll descriptor of eventlet's hub.

        This process's ends of the helpers' pipes are known without ``/proc``
        (:func:`.interpreter.multiprocessing_helper_fds`); any other is
        matched in the helpers' own descriptors, which only ``/proc`` lists."""
        if target == _EPOLL and fd is not None:
            return fd == interpreter.eventlet_hub_fd()
        if target.endswith(_DELETED) and _HEAP_FILE.search(target[: -len(_DELETED)]):
            return True
        if target.startswith(("pipe:", "socket:")):
            if fd is not None and fd in interpreter.multiprocessing_helper_fds():
                return True
            if self._helper_targets is None:
                self._helper_targets = set()
                for pid in helper_pids():
                    self._helper_targets |= proc.fd_targets(pid)
            return target in self._helper_targets
        return False


def owned_temp_dir() -> str | None:
    """Return multiprocessing's temporary directory of this process, if made.

    It is removed when the process exits. A process that has not imported
    multiprocessing has none, and multiprocessing is not imported here.
    """
    return interpreter.multiprocessing_tempdir()
