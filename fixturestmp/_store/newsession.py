"""Making session directories: numbered ones, markers, explicit basetemps."""

import os
from collections.abc import Callable
from pathlib import Path

from fixturestmp._store import owners
from fixturestmp._store.basedir import BaseDir
from fixturestmp._store.dirflags import DIR_FLAGS
from fixturestmp._store.pruning import (
    CURRENT_LINK,
    MARKER_NAME,
    scan_sessions,
    session_name,
)
from fixturestmp._store.removal import remove_entry
from fixturestmp.errors import ConfigError, names_in

__all__ = ["MARKER_NAME", "check_basetemp", "create_numbered", "write_marker"]

_NUMBER_FILE = ".last-number"
_NUMBER_TRIES = 10


def create_numbered(base: BaseDir) -> tuple[Path, int]:
    """Create the next numbered session in ``base``.

    Under the base directory's lock: the number is one above both the
    highest session and the last number ever used, so numbers never repeat.
    The session is made with its marker and this process's owner record,
    and ``run-current`` points at it. Everything is made relative to the
    base directory's descriptor.

    :return: The session's path, and a descriptor open on it (the caller
        closes it).
    """
    with base.locked(), names_in(base.path):
        # A run-<N> directory without the marker is no session, but its
        # number is taken all the same.
        sessions, foreign = scan_sessions(base)
        known = max([*sessions, *foreign], default=-1)
        try:
            with open(_NUMBER_FILE, opener=_opener(base.fd)) as stream:
                known = max(known, int(stream.read().strip() or -1))
        except (FileNotFoundError, ValueError):
            pass
        for number in range(known + 1, known + _NUMBER_TRIES):
            # A taken name that is no session (a file, a symlink) must
            # not block every later session: take the next number.
            name = session_name(number)
            try:
                os.mkdir(name, 0o700, dir_fd=base.fd)
                break
            except FileExistsError:
                if number == known + _NUMBER_TRIES - 1:
                    raise
        path = base.path / name
        fd = -1
        try:
            fd = os.open(name, DIR_FLAGS, dir_fd=base.fd)
            write_marker(path, fd)
            owners.add_owner(path, fd)
            _replace_file(base.fd, _NUMBER_FILE, f"{number}\n")
            _replace_symlink(base.fd, CURRENT_LINK, name)
        except BaseException:
            if fd >= 0:
                os.close(fd)
            remove_entry(base.fd, name)
            raise
    return path, fd


def check_basetemp(path: Path, explicit: bool) -> None:
    """Refuse an explicit basetemp holding entries fixturestmp did not make.

    :raises ConfigError: It is a file, or holds such entries.
    """
    origin = "argument basetemp=" if explicit else "configuration"
    try:
        names = os.listdir(path)
    except FileNotFoundError:
        return
    except NotADirectoryError:
        raise ConfigError(
            f"basetemp: {str(path)!r} from {origin} is not valid: it is a file, "
            f"not a directory; choose a new or empty directory"
        ) from None
    if names and MARKER_NAME not in names:
        raise ConfigError(
            f"basetemp: {str(path)!r} from {origin} is not valid: it holds "
            f"{len(names)} entries fixturestmp did not make (e.g. "
            f"{sorted(names)[0]!r}), which could be lost; choose a new or "
            f"empty directory"
        )


def write_marker(path: Path, session_fd: int | None = None) -> None:
    """Mark ``path`` as made by fixturestmp.

    :param session_fd: A descriptor open on ``path``: the marker is made
        relative to it.
    """
    if session_fd is None:
        fd = os.open(path / MARKER_NAME, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC,
                     0o600)  # fmt: skip
    else:
        with names_in(path):
            fd = os.open(MARKER_NAME, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC,
                         0o600, dir_fd=session_fd)  # fmt: skip
    os.close(fd)


def _opener(dir_fd: int) -> Callable[[str, int], int]:
    return lambda name, flags: os.open(name, flags | os.O_CLOEXEC, dir_fd=dir_fd)


def _replace_file(dir_fd: int, name: str, text: str) -> None:
    temporary = f"{name}.{os.getpid()}"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
                     | os.O_NOFOLLOW, 0o600, dir_fd=dir_fd)  # fmt: skip
        try:
            os.write(fd, text.encode())
        except OSError as error:
            error.filename = temporary  # a descriptor's error names no file
            raise
        finally:
            os.close(fd)
        os.replace(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        _unlink_quietly(dir_fd, temporary)
        raise


def _replace_symlink(dir_fd: int, name: str, target: str) -> None:
    temporary = f"{name}.{os.getpid()}"
    _unlink_quietly(dir_fd, temporary)
    try:
        os.symlink(target, temporary, dir_fd=dir_fd)
        os.replace(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        _unlink_quietly(dir_fd, temporary)
        raise


def _unlink_quietly(dir_fd: int, name: str) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except OSError:
        pass
