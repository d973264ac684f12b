"""Find old sessions and remove those beyond the retention count.

Decisions are taken under the base directory's lock, and a victim is renamed
to ``.garbage-<owner token>-<name>`` before it is deleted outside the lock:
the rename is instant, so no other process ever sees a half-deleted session,
and garbage whose deleter died is finished by the next prune.

A session is a ``run-<N>`` directory holding the marker that fixturestmp
writes into every session it makes: a ``run-<N>`` directory without it was
made by someone else, and is never counted, pruned or removed.
"""

import contextlib
import errno
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

from fixturestmp._store import owners
from fixturestmp._store.basedir import BaseDir
from fixturestmp._store.dirflags import DIR_FLAGS
from fixturestmp._store.removal import remove_entry
from fixturestmp._store.trash import TRASH_DIR
from fixturestmp.errors import explain, message, name_in, names_in

__all__ = [
    "CURRENT_LINK",
    "MARKER_NAME",
    "SESSION_PREFIX",
    "claimed",
    "list_sessions",
    "prune",
    "scan_sessions",
    "select_victims",
    "session_name",
    "session_number",
    "trash_name",
]

SESSION_PREFIX = "run-"
CURRENT_LINK = "run-current"
#: The file in a session directory that says fixturestmp made it.
MARKER_NAME = ".fixturestmp"
_GARBAGE_PREFIX = ".garbage-"
_SESSION = re.compile(r"^run-(\d+)$", re.ASCII)
# Garbage names this process is deleting now, in any thread.
_deleting: set[str] = set()
_deleting_lock = threading.Lock()


def session_name(number: int) -> str:
    """Return the directory name of session ``number``."""
    return f"{SESSION_PREFIX}{number}"


def session_number(name: str) -> int:
    """Return the number of the session directory called ``name`` (``run-N``),
    or -1 where the name is no session's (an explicit basetemp).
    """
    match = _SESSION.match(name)
    return int(match.group(1)) if match else -1


def trash_name(name: str) -> str:
    """Return a garbage name for ``name``, tagged with this process's token."""
    return f"{_GARBAGE_PREFIX}{owners.owner_token()}-{os.urandom(4).hex()}-{name}"


def list_sessions(base: BaseDir) -> dict[int, Path]:
    """Return ``{number: path}`` for the sessions in ``base``."""
    return scan_sessions(base)[0]


def scan_sessions(base: BaseDir) -> tuple[dict[int, Path], dict[int, Path]]:
    """Return the ``run-<N>`` directories in ``base``, as ``{N: path}``.

    :return: The sessions (directories holding the marker), and the
        directories named like one that hold no marker: fixturestmp did not
        make them, and leaves them alone.
    """
    found: dict[int, Path] = {}
    foreign: dict[int, Path] = {}
    for entry in _entries(base):
        match = _SESSION.match(entry.name)
        if match and entry.is_dir(follow_symlinks=False):
            marked = _has_marker(base, entry.name)
            if marked is not None:
                into = found if marked else foreign
                into[int(match.group(1))] = base.path / entry.name
    return found, foreign


def _has_marker(base: BaseDir, name: str) -> bool | None:
    """Return whether ``name`` in ``base`` holds the marker; None if gone.

    :raises OSError: It cannot be told (the directory cannot be opened or
        searched): said, never guessed either way.
    """
    try:
        fd = os.open(name, DIR_FLAGS, dir_fd=base.fd)
    except (FileNotFoundError, NotADirectoryError):
        return None  # Pruned meanwhile, or replaced by a file.
    except OSError as error:
        if error.errno == errno.ELOOP:
            return None  # Replaced by a symlink meanwhile.
        raise explain(error, base.path / name, "open the session") from error
    try:
        with names_in(base.path / name):
            return _lexists(MARKER_NAME, fd)
    finally:
        os.close(fd)


def _entries(base: BaseDir) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(base.fd) as entries:
            return list(entries)
    except OSError as error:
        raise explain(error, base.path, "list the base directory") from error


def select_victims(
    base: BaseDir, keep: int, ending: Path | None = None
) -> tuple[list[Path], list[Path]]:
    """Return (sessions to remove, kept sessions whose trash to remove).

    Sessions are taken newest first; a session with a live owner, and the
    session ``ending`` (the caller's own), are skipped (never removed, and
    not counted); the first ``keep`` others are kept. Call with the base
    directory's lock held.
    """
    sessions = list_sessions(base)
    victims, kept_trash = [], []
    kept = 0
    for number in sorted(sessions, reverse=True):
        path = sessions[number]
        if path == ending:
            continue
        try:
            fd = os.open(path.name, DIR_FLAGS, dir_fd=base.fd)
        except FileNotFoundError:
            continue  # Pruned by another process meanwhile.
        try:
            if owners.is_live(path, fd):
                continue
            if kept < keep:
                kept += 1
                with names_in(path):
                    has_trash = _lexists(TRASH_DIR, fd)
                if has_trash:
                    kept_trash.append(path)
            else:
                victims.append(path)
        finally:
            os.close(fd)
    return victims, kept_trash


def _lexists(name: str, dir_fd: int) -> bool:
    try:
        os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return False
    return True


def prune(
    base: BaseDir,
    keep: int,
    errors: list[str] | None = None,
    ending: Path | None = None,
) -> list[Path]:
    """Remove dead sessions beyond the ``keep`` newest; return what went.

    See :func:`select_victims`; ``ending`` is the session of the caller,
    which it keeps (and counts) itself. Dead symlinks (``run-current``) and
    abandoned garbage go too: garbage of dead processes, and this process's
    own garbage that no thread of it is deleting (a failed earlier attempt).
    A step that fails does not stop the others.

    :param errors: Where to add messages for entries that could not be
        removed; without it the first such error is raised at the end.
    """
    failures: list[OSError] = []
    garbage = []
    removed = []
    own = owners.owner_token()
    with base.locked():
        victims, kept_trash = select_victims(base, keep, ending)
        for path in kept_trash + victims:
            try:
                if path in victims:
                    name = trash_name(path.name)
                    os.rename(path.name, name, src_dir_fd=base.fd,
                              dst_dir_fd=base.fd)  # fmt: skip
                    removed.append(path)
                else:
                    name = trash_name(f"{path.name}-trash")
                    os.rename(f"{path.name}/{TRASH_DIR}", name,
                              src_dir_fd=base.fd, dst_dir_fd=base.fd)  # fmt: skip
            except FileNotFoundError:
                continue
            except OSError as error:
                failures.append(name_in(error, base.path))
                continue
            garbage.append(name)
        with _deleting_lock:
            _deleting.update(garbage)
            busy = set(_deleting)
        try:
            entries = _entries(base)
        except OSError as error:
            failures.append(error)
            entries = []
        for entry in entries:
            try:
                if entry.name.startswith(_GARBAGE_PREFIX) and entry.name not in busy:
                    token = "-".join(entry.name[len(_GARBAGE_PREFIX) :].split("-")[:2])
                    if token == own or not owners.token_is_live(token):
                        with _deleting_lock:
                            _deleting.add(entry.name)
                        garbage.append(entry.name)
                elif entry.is_symlink() and not _target_exists(entry.name, base.fd):
                    os.unlink(entry.name, dir_fd=base.fd)
            except OSError as error:
                failures.append(name_in(error, base.path))
    try:
        for name in garbage:
            try:
                remove_entry(base.fd, name, shown=str(base.path / name))
            except OSError as error:
                failures.append(error)
    finally:
        with _deleting_lock:
            _deleting.difference_update(garbage)
    for failure in failures:
        if errors is None:
            raise failure
        errors.append(message(failure))
    return removed


def _target_exists(name: str, dir_fd: int) -> bool:
    try:
        os.stat(name, dir_fd=dir_fd)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as error:
        if error.errno == errno.ELOOP:
            return False
        raise
    return True


@contextlib.contextmanager
def claimed(names: list[str]) -> Iterator[None]:
    """Mark garbage ``names`` as being deleted by this process meanwhile.

    A :func:`prune` in another thread then leaves them alone. Claim a name
    before the base directory's lock is released after making it.
    """
    with _deleting_lock:
        _deleting.update(names)
    try:
        yield
    finally:
        with _deleting_lock:
            _deleting.difference_update(names)
