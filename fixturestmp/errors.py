"""Exceptions raised by fixturestmp, and clearer messages for OS errors."""

import contextlib
import errno
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "ConfigError",
    "SessionStateError",
    "UnsafeRootError",
    "call_each",
    "explain",
    "full_filesystem",
    "message",
    "name_in",
    "names_in",
]


class ConfigError(ValueError):
    """An option has a value fixturestmp cannot use.

    The message names the option, where the value came from, the value and
    what is allowed. It is raised before anything on disk is created or
    deleted.
    """


class SessionStateError(RuntimeError):
    """A session was used before it was set up, or after it ended.

    The message says which, and what to do instead.
    """


class UnsafeRootError(OSError):
    """The temporary root cannot be used safely.

    The message says what is wrong (a symlink, another user's directory, not a
    directory) and how to fix it.
    """


def message(error: OSError) -> str:
    """Return what ``error`` says, without ``[Errno N]`` if fixturestmp wrote it.

    fixturestmp's own messages name the path themselves.
    """
    if (
        error.strerror
        and error.filename is None
        and error.strerror.startswith(("fixturestmp ", "could not "))
    ):
        return error.strerror
    return str(error)


def name_in(
    error: OSError,
    directory: os.PathLike[str] | str,
    target_directory: os.PathLike[str] | str | None = None,
) -> OSError:
    """Make ``error`` name its files in full; return it.

    Calls relative to a directory's descriptor (``dir_fd=``) fail naming
    only the entry; in the message that reaches the user it must be the
    whole path. A name already absolute is left as it is.

    :param directory: The directory the call's names are relative to.
    :param target_directory: The one of a rename's second name, if other.
    """
    pairs = (("filename", directory), ("filename2", target_directory or directory))
    for attribute, where in pairs:
        name = getattr(error, attribute)
        if isinstance(name, str) and not os.path.isabs(name):
            setattr(error, attribute, os.path.join(where, name))
    return error


@contextlib.contextmanager
def names_in(
    directory: os.PathLike[str] | str,
    target_directory: os.PathLike[str] | str | None = None,
) -> Iterator[None]:
    """Apply :func:`name_in` to an ``OSError`` raised in the block."""
    try:
        yield
    except OSError as error:
        name_in(error, directory, target_directory)
        raise


_FULL = {errno.ENOSPC: "is full", errno.EDQUOT: "is over your disk quota"}


def explain(error: OSError, path: os.PathLike[str] | str, doing: str) -> OSError:
    """Return ``error`` as an error of the same kind that says what failed.

    The message names what fixturestmp was doing and the path; when the
    filesystem is out of space or inodes it names the filesystem, says which
    ran out, and what to do.

    :param doing: What was being done, e.g. ``"create the test directory"``.
    """
    text = f"fixturestmp could not {doing} {path}: {error.strerror or error}"
    if error.errno in _FULL:
        text += "; " + _full_filesystem(Path(path), error.errno)
    elif error.errno in _HINTS:
        text += "; " + _HINTS[error.errno]
    return OSError(error.errno, text)


_ELSEWHERE = (
    "set FIXTURESTMP_ROOT (or root=, or --root) to a directory you can write to."
)
_HINTS = {
    errno.EROFS: "the filesystem is mounted read-only: " + _ELSEWHERE,
    errno.EACCES: "you may not write there: " + _ELSEWHERE,
    errno.EPERM: "you may not write there: " + _ELSEWHERE,
}


def full_filesystem(path: os.PathLike[str] | str) -> str | None:
    """Say why the filesystem holding ``path`` is full; None if it is not."""
    try:
        info = os.statvfs(path)
    except OSError:
        return None
    if info.f_files and info.f_favail == 0:
        return _full_filesystem(Path(path), errno.ENOSPC)
    if info.f_bavail == 0:
        return _full_filesystem(Path(path), errno.ENOSPC)
    return None


def _full_filesystem(path: Path, number: int) -> str:
    """Say which filesystem holding ``path`` ran out of what."""
    while not os.path.lexists(path) and path != path.parent:
        path = path.parent
    mount = path.resolve()
    while mount != mount.parent and not os.path.ismount(mount):
        mount = mount.parent
    kind = "filesystem"
    try:
        with open("/proc/self/mounts") as mounts:
            for line in mounts:
                fields = line.split()
                if len(fields) > 2 and fields[1] == str(mount):
                    kind = f"{fields[2]} filesystem"
    except OSError:
        pass
    what = _FULL[number]
    try:
        info = os.statvfs(mount)
        if info.f_files and info.f_favail == 0:
            what = f"has no free inodes (all {info.f_files} used)"
        elif number == errno.ENOSPC:
            free = info.f_bavail * info.f_frsize
            total = info.f_blocks * info.f_frsize
            what = f"is full ({free // 1024} KiB free of {total // 1024} KiB)"
    except OSError:
        pass
    return (
        f"the {kind} mounted at {mount} {what}. Free space there, or set "
        f"FIXTURESTMP_ROOT (or root=) to a directory on a filesystem with room."
    )


def call_each(calls: Iterable[Callable[..., object]], *args: Any) -> None:
    """Call each of ``calls`` with ``args``, whatever one of them raises;
    once all have run, raise the first error.

    For steps that must all run (cleanups, the parts of an end), where the
    first failure is the one to report.
    """
    errors = []
    for call in calls:
        try:
            call(*args)
        except Exception as error:  # raised below, once all have run
            errors.append(error)
    if errors:
        raise errors[0]
