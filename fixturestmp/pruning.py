"""Find old sessions and remove those beyond the retention count.

Decisions are taken under the base directory's lock, and a victim is renamed
to ``.garbage-<owner token>-<name>`` before it is deleted outside the lock:
the rename is instant, so no other process ever sees a half-deleted session,
and garbage whose deleter died is finished by the next prune.
"""

import os
import re
import uuid
from pathlib import Path

from fixturestmp import owners
from fixturestmp.basedir import BaseDir
from fixturestmp.errors import explain
from fixturestmp.removal import RemovalError, remove_entry
from fixturestmp.trash import TRASH_DIR

__all__ = [
    "CURRENT_LINK",
    "SESSION_PREFIX",
    "list_sessions",
    "prune",
    "select_victims",
    "session_name",
    "trash_name",
]

SESSION_PREFIX = "run-"
CURRENT_LINK = "run-current"
_GARBAGE_PREFIX = ".garbage-"
_SESSION = re.compile(r"^run-(\d+)$")


def session_name(number: int) -> str:
    """Return the directory name of session ``number``."""
    return f"{SESSION_PREFIX}{number}"


def trash_name(name: str) -> str:
    """Return a garbage name for ``name``, tagged with this process's token."""
    return f"{_GARBAGE_PREFIX}{owners.owner_token()}-{uuid.uuid4().hex[:8]}-{name}"


def list_sessions(base: BaseDir) -> dict[int, Path]:
    """Return ``{number: path}`` for the session directories in ``base``."""
    found = {}
    for entry in _entries(base):
        match = _SESSION.match(entry.name)
        if match and entry.is_dir(follow_symlinks=False):
            found[int(match.group(1))] = base.path / entry.name
    return found


def _entries(base: BaseDir) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(base.fd) as entries:
            return list(entries)
    except OSError as error:
        raise explain(error, base.path, "list the base directory") from error


def select_victims(base: BaseDir, keep: int) -> tuple[list[Path], list[Path]]:
    """Return (sessions to remove, kept sessions whose trash to remove).

    Sessions are taken newest first; a session with a live owner is skipped
    (never removed, and not counted); the first ``keep`` others are kept.
    Call with the base directory's lock held.
    """
    sessions = list_sessions(base)
    victims, kept_trash = [], []
    kept = 0
    for number in sorted(sessions, reverse=True):
        path = sessions[number]
        if owners.is_live(path):
            continue
        if kept < keep:
            kept += 1
            if os.path.lexists(path / TRASH_DIR):
                kept_trash.append(path)
        else:
            victims.append(path)
    return victims, kept_trash


def prune(base: BaseDir, keep: int, errors: list[str] | None = None) -> list[Path]:
    """Remove dead sessions beyond the ``keep`` newest; return what went.

    See :func:`select_victims`. Dead symlinks (``run-current``) and
    abandoned garbage go too.

    :param errors: Where to add messages for entries that could not be
        removed; without it the first such error is raised.
    """
    garbage = []
    with base.locked():
        victims, kept_trash = select_victims(base, keep)
        for path in kept_trash:
            name = trash_name(f"{path.name}-trash")
            os.rename(path / TRASH_DIR, base.path / name)
            garbage.append(name)
        for path in victims:
            name = trash_name(path.name)
            os.rename(path.name, name, src_dir_fd=base.fd, dst_dir_fd=base.fd)
            garbage.append(name)
        for entry in _entries(base):
            if entry.name.startswith(_GARBAGE_PREFIX) and entry.name not in garbage:
                token = "-".join(entry.name[len(_GARBAGE_PREFIX) :].split("-")[:2])
                if not owners.token_is_live(token):
                    garbage.append(entry.name)
            elif entry.is_symlink() and not os.path.exists(base.path / entry.name):
                os.unlink(entry.name, dir_fd=base.fd)
    for name in garbage:
        try:
            remove_entry(base.fd, name, shown=str(base.path / name))
        except RemovalError as error:
            if errors is None:
                raise
            errors.append(str(error))
    return victims
