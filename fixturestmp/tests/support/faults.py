"""Fault injection: make the k-th filesystem call of fixturestmp fail.

The operating system functions fixturestmp uses are wrapped (with
``fixtures.MonkeyPatch``) so that the k-th call *made by fixturestmp's own
modules* raises a chosen errno, exactly as the kernel would: same exception
class, ``strerror`` and file names. Calls made by anything else (the test,
testtools, psutil) pass through untouched, and so does every call once the
fault has fired: one fault per run.
"""

import builtins
import errno
import fcntl
import io
import os
import re
import sys
import threading
from types import FrameType

import fixtures

__all__ = ["ERRNOS", "OPERATIONS", "FaultInjector"]

# Which operations each errno is realistic for.
_CREATE = ("mkdir", "open", "io.open", "write", "symlink", "rename", "replace")
_ALL = (
    *_CREATE, "unlink", "rmdir", "scandir", "listdir", "lstat", "fchmod", "chmod",
)  # fmt: skip
ERRNOS = {
    errno.ENOSPC: _CREATE,
    errno.EACCES: tuple(op for op in _ALL if op not in ("write", "fchmod")),
    errno.EIO: _ALL,
    # Someone else made the name first: only names other processes of the
    # user could take (run-N, test directories, ...) are realistic.
    errno.EEXIST: ("mkdir", "symlink"),
    errno.ENOLCK: ("flock",),
}
OPERATIONS = sorted({op for ops in ERRNOS.values() for op in ops})

_TARGETS = {
    "io.open": (io, "open"),
    "builtins.open": (builtins, "open"),
    "flock": (fcntl, "flock"),
}
# Frames of these modules are looked through to find who really called.
_PASSTHROUGH = frozenset(
    {"os", "io", "pathlib", "posixpath", "genericpath", "shutil", "contextlib",
     "tempfile", "_pyio", __name__}
)  # fmt: skip
_WRITE_MODES = frozenset("wax+")
_TWO_PATHS = frozenset({"rename", "replace", "symlink"})


def _from_library() -> bool:
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name not in _PASSTHROUGH:
            return name.startswith("fixturestmp.") and not name.startswith(
                ("fixturestmp.tests", "fixturestmp.leaks", "fixturestmp.pytest_plugin")
            )
        frame = frame.f_back
    return False


def _creates(op: str, args: tuple, kwargs: dict) -> bool:
    if op == "open":
        flags = args[1] if len(args) > 1 else kwargs.get("flags", 0)
        return bool(flags & os.O_CREAT)
    if op == "io.open":
        mode = args[1] if len(args) > 1 else kwargs.get("mode", "r")
        return bool(_WRITE_MODES & set(mode))
    return True


class FaultInjector(fixtures.Fixture):
    """Raise ``error_number`` from the ``target``-th eligible library call.

    An ``EEXIST`` is made real: the entry is created first, as by a
    concurrent process, and listed in :attr:`created`.

    :ivar calls: Eligible calls seen so far.
    :ivar injected: ``(operation, arguments)`` of the fault, or None.
    :ivar paths: The absolute paths the failed call was about (both of a
        rename), read before it failed: names relative to a ``dir_fd`` are
        joined to that directory's path, descriptors become their path.
    :ivar created: Absolute paths of entries made to cause an ``EEXIST``.
    """

    def __init__(self, error_number: int, target: int) -> None:
        """:param target: 1-based index of the call to fail; 0 fails none."""
        super().__init__()
        self.error_number = error_number
        self.target = target
        self.operations = ERRNOS[error_number]
        self.calls = 0
        self.injected: tuple[str, tuple] | None = None
        self.paths: list[str] = []
        self.created: list[str] = []
        self._lock = threading.Lock()

    def _setUp(self) -> None:
        for op in self.operations:
            if op == "io.open":
                for name in ("io.open", "builtins.open"):
                    self._wrap(op, *_TARGETS[name])
            else:
                self._wrap(op, *_TARGETS.get(op, (os, op)))

    def _wrap(self, op: str, module, attribute: str) -> None:
        real = getattr(module, attribute)

        def wrapper(*args, **kwargs):
            if (
                self.injected is None
                and _creates(op, args, kwargs)
                and _from_library()
                and not _in_deleted_directory(kwargs)
            ):
                with self._lock:
                    self.calls += 1
                    fire = self.calls == self.target and self.injected is None
                    if fire:
                        self.injected = (op, args)
                if fire:
                    self.paths = _paths(op, args, kwargs)
                    if self.error_number == errno.EEXIST:
                        self.created.append(_take(op, real, args, kwargs))
                    raise self._error(op, args)
            return real(*args, **kwargs)

        self.useFixture(fixtures.MonkeyPatch(f"{module.__name__}.{attribute}", wrapper))

    def _error(self, op: str, args: tuple) -> OSError:
        number = self.error_number
        paths = [a for a in args[:2] if isinstance(a, (str, bytes, os.PathLike))]
        if op in ("write", "flock", "fchmod") or not paths:
            return OSError(number, os.strerror(number))
        if op in _TWO_PATHS and len(paths) == 2:
            return OSError(number, os.strerror(number), paths[0], None, paths[1])
        return OSError(number, os.strerror(number), paths[0])


def _in_deleted_directory(kwargs: dict) -> bool:
    """Whether the call is relative to a directory already deleted.

    There the kernel can only find nothing (``ENOENT``): such a call
    (withdrawing an owner record from a session just removed) is not failed.
    """
    dir_fds = [kwargs.get(key) for key in ("dir_fd", "src_dir_fd", "dst_dir_fd")]
    return any(_fd_path(fd).endswith(" (deleted)") for fd in dir_fds if fd is not None)


def _fd_path(fd: int) -> str:
    return os.readlink(f"/proc/self/fd/{fd}")


def _paths(op: str, args: tuple, kwargs: dict) -> list[str]:
    """Return the absolute paths a call is about, as a message would name them."""
    if op in ("write", "flock", "fchmod"):
        return [_fd_path(args[0])]
    if op == "symlink":  # the link is made; its target is only text
        names = [(args[1], kwargs.get("dir_fd"))]
    elif op in ("rename", "replace"):
        names = [
            (args[0], kwargs.get("src_dir_fd")),
            (args[1], kwargs.get("dst_dir_fd")),
        ]
    else:
        names = [(args[0] if args else kwargs.get("path", "."), kwargs.get("dir_fd"))]
    paths = []
    for name, dir_fd in names:
        if isinstance(name, int):
            paths.append(_fd_path(name))
            continue
        name = os.fsdecode(name)
        if dir_fd is not None and not os.path.isabs(name):
            name = os.path.join(_fd_path(dir_fd), name)
        paths.append(os.path.abspath(name))
    return paths


def _take(op: str, real, args: tuple, kwargs: dict) -> str:
    """Make the name the call wants, as someone else would; return its path."""
    path = os.fsdecode(args[1] if op == "symlink" else args[0])
    dir_fd = kwargs.get("dir_fd")
    if dir_fd is not None and not os.path.isabs(path):
        path = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), path)
    if re.fullmatch(r"run-\d+", os.path.basename(path)):
        # Session numbers are taken under the base directory's lock, after
        # listing the sessions: only something else (a file) can be there.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    else:
        real(*args, **kwargs)
    return os.path.abspath(path)
