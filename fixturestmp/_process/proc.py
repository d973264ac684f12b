"""Process facts read cheaply from ``/proc``: children, start times, state.

psutil is the project's way to ask about processes, but
``psutil.Process().children()`` reads ``/proc/<pid>/stat`` of *every* process
on the machine to find the few whose parent we are, so its cost grows with
every process running (``benchmarks/bench_leaks.py`` shows psutil as the
bottleneck of the ``processes`` check; figures in doc/benchmarks.rst).
Linux lists each task's own children in ``/proc/self/task/<tid>/children``;
reading those follows only our own children, whatever else runs.
Grandchildren are found by reading the same files of the children. Where
those files do not exist (other systems, kernels without
``CONFIG_PROC_CHILDREN``) psutil is used.

Most tests start no process, and the checks ask before and after each
whether this process has any child at all: one ``waitid`` that neither
waits nor reaps answers that for every thread and every kind of child
(:func:`has_children`). Only when there are children are the files read.
The process's own task directory and its one thread's ``children`` file
are opened once and read again with ``fstat`` and ``pread`` (which makes
the kernel produce the file afresh): one system call each instead of
three or four, for checks that read them before and after every test.
They are closed in a forked child, whose ``/proc/self`` they do not
describe; the ``fds`` check does not count them (:func:`kept_descriptors`).

Start times are read from ``/proc/<pid>/stat`` too, in clock ticks since
boot: unlike psutil's ``create_time()`` (boot time plus that, in wall-clock
seconds) they do not move when the clock is set, and reading them does not
import psutil, whose import is a noticeable share of the start of every
``fixturestmp run`` (``benchmarks/bench_cli.py``).

Whether ``/proc`` answers is decided once, here, from ``/proc/self/stat``;
the ``fds`` check takes where to list descriptors from that decision too
(:data:`FD_DIR`), so that every reader agrees about the system it is on.
"""

import fcntl
import os
import stat
import threading
import time
from typing import Any

from fixturestmp._process import forks

__all__ = [
    "FD_DIR",
    "ProcInfo",
    "child_pids",
    "cmdline",
    "descendants",
    "dying",
    "fd_target",
    "fd_targets",
    "has_children",
    "info",
    "kept_descriptors",
    "open_fd_count",
]

_READ_SIZE = 65536
# The kernel's task flag for a process in do_exit (include/linux/sched.h).
_PF_EXITING = 0x4
_SIGKILL_BIT = 1 << (9 - 1)
_EXEC_RETRIES = 50

# Whether /proc describes processes here (Linux); elsewhere (macOS, the
# BSDs) psutil does.
_HAS_STAT = os.path.exists("/proc/self/stat")

#: Where this process's open descriptors are listed: ``/proc/self/fd``
#: where ``/proc`` answers, else ``/dev/fd`` (macOS, the BSDs).
FD_DIR = "/proc/self/fd" if _HAS_STAT else "/dev/fd"


def _read(path: str) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    try:
        return os.read(fd, _READ_SIZE)
    except (ProcessLookupError, OSError):
        return None
    finally:
        os.close(fd)


# Descriptors kept open on this process's own /proc files, by path, with
# the (device, inode) they were opened on.
_kept: dict[str, tuple[int, tuple[int, int]]] = {}


def _kept_open(path: str, flags: int = os.O_RDONLY) -> tuple[int, os.stat_result]:
    """Return a descriptor kept open on ``path``, and its ``fstat``.

    A test may close any descriptor, and the number may then be another
    file's: the descriptor is used only while it is still the file opened,
    else ``path`` is opened anew (the old number is left alone).
    """
    found = _kept.get(path)
    if found is not None:
        fd, identity = found
        try:
            info = os.fstat(fd)
            if (info.st_dev, info.st_ino) == identity:
                return fd, info
        except OSError:
            pass
    fd = os.open(path, flags | os.O_CLOEXEC)
    info = os.fstat(fd)
    _kept[path] = (fd, (info.st_dev, info.st_ino))
    return fd, info


def kept_descriptors() -> frozenset[int]:
    """Return the descriptors this module keeps open on ``/proc/self``."""
    return frozenset(fd for fd, _ in _kept.values())


def open_fd_count() -> int | None:
    """Return how many descriptors this process has open, or None where
    the kernel does not say.

    Linux 6.2 and later give the count as the size of ``/proc/self/fd``
    (before, 0); it is trusted only if it agrees with a listing, once.
    """
    global _fd_count_known
    if _fd_count_known is False or not _HAS_STAT:
        return None
    try:
        _, info = _kept_open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        _fd_count_known = False
        return None
    if _fd_count_known is None:
        # The listing has a descriptor of its own open while it lists.
        _fd_count_known = info.st_size == len(os.listdir("/proc/self/fd")) - 1
        return open_fd_count()
    return info.st_size


_fd_count_known: bool | None = None


@forks.after_fork_in_child
def _close_kept() -> None:
    # Opened in the parent, they describe the parent's task, not ours.
    for path in list(_kept):
        fd, identity = _kept.pop(path)
        try:
            info = os.fstat(fd)
        except OSError:
            continue
        if (info.st_dev, info.st_ino) == identity:
            os.close(fd)


def fd_target(fd: int) -> str | None:
    """Return what descriptor ``fd`` is open on, or None if it is closed.

    A path, or for a pipe or socket ``pipe:[<inode>]``, ``socket:[<inode>]``
    as Linux names them, wherever the name comes from: the descriptor
    itself where the system says its path (macOS's ``F_GETPATH``), else the
    link in :data:`FD_DIR` (Linux; macOS's ``/dev/fd`` entries are no
    links), else, for what has no path there, its type and inode.
    """
    get_path = getattr(fcntl, "F_GETPATH", None)
    if get_path is not None:
        try:
            found = fcntl.fcntl(fd, get_path, bytes(1024))
        except OSError:
            pass  # A pipe or socket has no path; or it is closed.
        else:
            path = os.fsdecode(found.split(b"\0", 1)[0])
            if path:
                return path
    try:
        return os.readlink(f"{FD_DIR}/{fd}")
    except OSError:
        pass
    return _described(fd)


def fd_targets(pid: int) -> set[str]:
    """Return what ``pid``'s descriptors are open on, as :func:`fd_target`
    names them; empty where ``/proc`` does not list another process's."""
    if not _HAS_STAT:
        return set()
    directory = f"/proc/{pid}/fd"
    found: set[str] = set()
    try:
        names = os.listdir(directory)
    except OSError:
        return found
    for name in names:
        try:
            found.add(os.readlink(f"{directory}/{name}"))
        except OSError:
            continue
    return found


def _described(fd: int) -> str | None:
    """Return ``fd`` named by its type and inode, or None if it is closed."""
    try:
        found = os.fstat(fd)
    except OSError:
        return None
    if stat.S_ISFIFO(found.st_mode):
        return f"pipe:[{found.st_ino}]"
    if stat.S_ISSOCK(found.st_mode):
        return f"socket:[{found.st_ino}]"
    kind = stat.filemode(found.st_mode)[0]  # "-" a file, "d" a directory...
    return f"{'file' if kind == '-' else kind}:[{found.st_dev}:{found.st_ino}]"


def _psutil() -> Any:
    import psutil  # Only where /proc cannot answer.

    return psutil


def _has_children_files() -> bool:
    return os.path.exists(f"/proc/self/task/{os.getpid()}/children")


_USE_PROC = _has_children_files()


def _single_threaded() -> bool:
    # Linux counts a process's threads in its task directory's link count:
    # 2 + the number of threads (fs/proc/base.c, proc_task_getattr). Where
    # Python knows of more threads, that count is not trusted.
    if threading.active_count() != 1:
        return False
    try:
        _, task_dir = _kept_open("/proc/self/task", os.O_RDONLY | os.O_DIRECTORY)
        return task_dir.st_nlink == 3
    except OSError:
        return False


# __WALL (linux/wait.h; accepted by waitid since Linux 4.7): children of
# every kind, those cloned with another exit signal than SIGCHLD too.
_WALL = 0x40000000
_WAITID = _USE_PROC and hasattr(os, "waitid") and hasattr(os, "WNOWAIT")
# waitid(2) options: report a child that has exited, leave it waitable
# (WNOWAIT), do not wait (WNOHANG). Linux counts every thread's children.
_ANY_CHILD = (os.WEXITED | os.WNOHANG | os.WNOWAIT | _WALL) if _WAITID else 0


def has_children() -> bool:
    """Return whether this process has a child, running or exited.

    On Linux one ``waitid`` that neither waits nor reaps answers it (the
    exit status stays for whoever waits for the child); elsewhere, or on
    a kernel that rejects the call, it is whether :func:`child_pids` finds
    one.
    """
    global _WAITID
    if _WAITID:
        try:
            os.waitid(os.P_ALL, 0, _ANY_CHILD)
        except ChildProcessError:
            return False
        except OSError:  # EINVAL: a kernel older than 4.7.
            _WAITID = False
        else:
            return True
    return bool(child_pids())


def child_pids(pid: int | None = None) -> list[int]:
    """Return the pids of the children of ``pid`` (default: this process).

    Every thread's children are included: a child belongs to the thread
    that started it.
    """
    if not _USE_PROC:
        psutil = _psutil()
        try:
            process = psutil.Process(pid)
            return [child.pid for child in process.children()]
        except psutil.Error:
            return []
    if pid is None and _WAITID and not has_children():
        return []
    if pid is None and _single_threaded():
        # The one thread is the caller: no listing of the threads.
        fd, _ = _kept_open(f"/proc/self/task/{threading.get_native_id()}/children")
        return list(map(int, os.pread(fd, _READ_SIZE, 0).split()))
    tasks = f"/proc/{'self' if pid is None else pid}/task"
    try:
        tids = os.listdir(tasks)
    except (FileNotFoundError, ProcessLookupError):
        return []
    pids: list[int] = []
    for tid in tids:
        data = _read(f"{tasks}/{tid}/children")
        if data:
            pids.extend(map(int, data.split()))
    return pids


def descendants(pid: int) -> list[tuple[int, int]]:
    """Return ``(pid, depth)`` of ``pid``'s children, theirs, and so on.

    Depth-first, each process before its children; children have depth 1.
    """
    found: list[tuple[int, int]] = []
    pending = [(child, 1) for child in reversed(child_pids(pid))]
    while pending:
        child, depth = pending.pop()
        found.append((child, depth))
        pending.extend(
            (grandchild, depth + 1) for grandchild in reversed(child_pids(child))
        )
    return found


class ProcInfo:
    """A process's start time and state, as read once.

    :ivar pid: The process id.
    :ivar start: Its start time, in an opaque unit: with ``pid`` it tells a
        process apart from a later one that reused the pid.
    :ivar running: False for a zombie (exited, not yet reaped).
    """

    __slots__ = ("pid", "running", "start")

    def __init__(self, pid: int, start: float, running: bool) -> None:
        self.pid = pid
        self.start = start
        self.running = running

    @property
    def key(self) -> tuple[int, float]:
        """``(pid, start)``: names one process, even after pid reuse."""
        return (self.pid, self.start)


def info(pid: int) -> ProcInfo | None:
    """Return ``pid``'s :class:`ProcInfo`, or None if it is gone."""
    if not _HAS_STAT:
        psutil = _psutil()
        try:
            process = psutil.Process(pid)
            running = process.status() != psutil.STATUS_ZOMBIE
            return ProcInfo(pid, process.create_time(), running)
        except psutil.Error:
            return None
    data = _read(f"/proc/{pid}/stat")
    if not data:
        return None
    # The command name in parentheses may hold spaces and parentheses.
    fields = data[data.rfind(b")") + 2 :].split()
    # Field 3 is the state, field 22 the start time in clock ticks.
    state = fields[0]
    return ProcInfo(pid, float(fields[19]), state not in (b"Z", b"X"))


def dying(pid: int) -> bool:
    """Return whether ``pid`` is gone, a zombie, exiting, or has SIGKILL
    pending: a process that cannot run any more code of its own.

    A child killed with SIGKILL and not waited for is in one of these
    states for a short while before it becomes a zombie. Where
    ``/proc`` has no such facts, only gone and zombie are seen (psutil).
    """
    if not _HAS_STAT:
        psutil = _psutil()
        try:
            return psutil.Process(pid).status() in (
                psutil.STATUS_ZOMBIE,
                psutil.STATUS_DEAD,
            )
        except psutil.Error:
            return True
    data = _read(f"/proc/{pid}/stat")
    if not data:
        return True
    fields = data[data.rfind(b")") + 2 :].split()
    # Field 3 is the state, field 9 the kernel's flags for the task.
    if fields[0] in (b"Z", b"X", b"x") or int(fields[6]) & _PF_EXITING:
        return True
    status = _read(f"/proc/{pid}/status") or b""
    for line in status.splitlines():
        # Pending for the main thread (SigPnd) or the whole process (ShdPnd).
        if line.startswith((b"SigPnd:", b"ShdPnd:")):
            if int(line.split()[1], 16) & _SIGKILL_BIT:
                return True
    return False


def cmdline(pid: int, limit: int = 200) -> str:
    """Return ``pid``'s command line as one string, cut to ``limit``."""
    if _USE_PROC:
        data = _read(f"/proc/{pid}/cmdline") or b""
        for _ in range(_EXEC_RETRIES):
            # Empty between exec's point of no return and the new program's
            # arguments being in place, which a just-started child may be in.
            if data or not ((found := info(pid)) and found.running):
                break
            time.sleep(0.001)
            data = _read(f"/proc/{pid}/cmdline") or b""
        text = " ".join(
            part.decode("utf-8", "replace") for part in data.split(b"\0") if part
        )
    else:
        psutil = _psutil()
        try:
            text = " ".join(psutil.Process(pid).cmdline())
        except psutil.Error:
            text = ""
    if not text:
        psutil = _psutil()
        try:
            text = f"[{psutil.Process(pid).name()}]"
        except psutil.Error:
            text = "[exited]"
    return text if len(text) <= limit else text[: limit - 3] + "..."
