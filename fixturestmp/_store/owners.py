"""Owner records: which live processes use a session.

A session directory holds ``.owners/<pid>-<start time>``, one empty file per
process using it. A record is live while a process with that pid *and* that
start time runs, so a recycled pid never keeps a dead session alive and a
killed owner frees its session at once (no lock timeout). The start time is
the one :mod:`fixturestmp._process.proc` reads (clock ticks since boot, on Linux):
setting the clock does not change it, so it never makes a live owner look
dead.
"""

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

from fixturestmp._process import forks, proc
from fixturestmp._store.dirflags import DIR_FLAGS
from fixturestmp.errors import explain, name_in, names_in

__all__ = [
    "OWNERS_DIR",
    "add_owner",
    "is_live",
    "live_owners",
    "owner_token",
    "remove_owner",
    "token_is_live",
]

OWNERS_DIR = ".owners"

# This process's token, once read.
_own_token: str | None = None
# Records of this process it could not delete: no longer live to it.
_withdrawn: set[str] = set()


def owner_token(pid: int | None = None) -> str:
    """Return ``<pid>-<start time>`` for ``pid`` (default: this process)."""
    global _own_token
    if pid is not None:
        return _token_of(pid)
    if _own_token is None:
        _own_token = _token_of(os.getpid())
    return _own_token


def _token_of(pid: int) -> str:
    found = proc.info(pid)
    if found is None:
        raise ProcessLookupError(f"fixturestmp: no process {pid}")
    return f"{pid}-{found.start:.2f}"


@forks.after_fork_in_child
def _forget_parents_token() -> None:
    global _own_token
    _own_token = None


def token_is_live(token: str) -> bool:
    """Return whether the process named by ``token`` still runs."""
    pid_text, _, started = token.partition("-")
    try:
        pid, start = int(pid_text), float(started)
    except ValueError:
        return False
    found = proc.info(pid)
    if found is None or abs(found.start - start) > 0.015:
        return False
    return found.running


@contextlib.contextmanager
def _opened(session: Path, session_fd: int | None) -> Iterator[int]:
    """Yield ``session_fd``, or a descriptor opened on ``session`` meanwhile."""
    if session_fd is not None:
        yield session_fd
        return
    fd = os.open(session, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield fd
    finally:
        os.close(fd)


def add_owner(session: Path, session_fd: int | None = None) -> str:
    """Record this process as a user of ``session``; return its token.

    :param session_fd: A descriptor open on ``session``: the record is made
        relative to it, so a symlink swapped in for a directory above it
        cannot send it elsewhere; ``session`` then only names it.
    """
    token = owner_token()
    with _opened(session, session_fd) as fd, names_in(session):
        try:
            os.mkdir(OWNERS_DIR, 0o700, dir_fd=fd)
        except FileExistsError:
            pass
        owners_fd = os.open(OWNERS_DIR, DIR_FLAGS, dir_fd=fd)
        try:
            with names_in(session / OWNERS_DIR):
                os.close(os.open(token, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC,
                                 0o600, dir_fd=owners_fd))  # fmt: skip
        finally:
            os.close(owners_fd)
    # A new record of a path whose old one could not be deleted: live again.
    _withdrawn.discard(str(session / OWNERS_DIR / token))
    return token


def remove_owner(session: Path, token: str, session_fd: int | None = None) -> None:
    """Withdraw the record ``token`` from ``session``.

    If the record cannot be deleted, this process stops counting it as live
    (so its own later sessions may prune ``session``; other processes see it
    live until this process ends), and the error is raised.

    :param session_fd: As for :func:`add_owner`.
    """
    record = session / OWNERS_DIR / token
    try:
        with _opened(session, session_fd) as fd:
            os.unlink(f"{OWNERS_DIR}/{token}", dir_fd=fd)
    except FileNotFoundError:
        pass
    except OSError as error:
        _withdrawn.add(str(record))
        name_in(error, session)
        raise explain(error, record, "delete the owner record") from error


def live_owners(session: Path, session_fd: int | None = None) -> list[str]:
    """Return the tokens of the live processes recorded in ``session``.

    :param session_fd: As for :func:`add_owner`.
    """
    try:
        with _opened(session, session_fd) as fd:
            owners_fd = os.open(OWNERS_DIR, DIR_FLAGS, dir_fd=fd)
            try:
                tokens = os.listdir(owners_fd)
            finally:
                os.close(owners_fd)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as error:
        if error.errno == errno.ELOOP:  # .owners is a symlink: not ours
            return []
        where = session / OWNERS_DIR
        raise explain(error, where, "list the owner records in") from error
    if _withdrawn:
        tokens = [t for t in tokens if str(session / OWNERS_DIR / t) not in _withdrawn]
    return [token for token in tokens if token_is_live(token)]


def is_live(session: Path, session_fd: int | None = None) -> bool:
    """Return whether a live process uses ``session``."""
    return bool(live_owners(session, session_fd))
