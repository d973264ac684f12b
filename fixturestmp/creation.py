"""Making session directories: numbered ones, markers, explicit basetemps."""

import os
from pathlib import Path

from fixturestmp import owners
from fixturestmp.basedir import BaseDir
from fixturestmp.errors import ConfigError
from fixturestmp.pruning import CURRENT_LINK, list_sessions, session_name
from fixturestmp.removal import remove_entry

__all__ = ["MARKER_NAME", "check_basetemp", "create_numbered", "write_marker"]

MARKER_NAME = ".fixturestmp"
_NUMBER_FILE = ".last-number"
_NUMBER_TRIES = 10


def create_numbered(base: BaseDir) -> Path:
    """Create the next numbered session in ``base``; return its path.

    Under the base directory's lock: the number is one above both the
    highest session and the last number ever used, so numbers never repeat.
    The session is made with its marker and this process's owner record,
    and ``run-current`` points at it.
    """
    with base.locked():
        known = max(list_sessions(base), default=-1)
        try:
            with open(base.path / _NUMBER_FILE) as stream:
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
        try:
            write_marker(path)
            owners.add_owner(path)
            _replace_file(base.path / _NUMBER_FILE, f"{number}\n")
            _replace_symlink(base.path / CURRENT_LINK, name)
        except BaseException:
            remove_entry(base.fd, name)
            raise
    return path


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


def write_marker(path: Path) -> None:
    """Mark ``path`` as made by fixturestmp."""
    fd = os.open(path / MARKER_NAME, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
    os.close(fd)


def _replace_file(path: Path, text: str) -> None:
    temporary = path.with_name(f"{path.name}.{os.getpid()}")
    try:
        temporary.write_text(text)
        os.replace(temporary, path)
    except BaseException:
        _unlink_quietly(temporary)
        raise


def _replace_symlink(path: Path, target: str) -> None:
    temporary = path.with_name(f"{path.name}.{os.getpid()}")
    _unlink_quietly(temporary)
    try:
        os.symlink(target, temporary)
        os.replace(temporary, path)
    except BaseException:
        _unlink_quietly(temporary)
        raise


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
