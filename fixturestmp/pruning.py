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
from fixturestmp.removal import RemovalError, remove_entry
from fixturestmp.trash import TRASH_DIR

__all__ = [
    "CURRENT_LINK",
    "SESSION_PREFIX",
    "list_sessions",
    "prune",
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
    with os.scandir(base.fd) as entries:
        for entry in entries:
            match = _SESSION.match(entry.name)
            if match and entry.is_dir(follow_symlinks=False):
                found[int(match.group(1))] = base.path / entry.name
    return found


def prune(base: BaseDir, keep: int, errors: list[str] | None = None) -> list[Path]:
    """Remove dead sessions beyond the ``keep`` newest; return what went.

    A session with a live owner is never removed, and does not count
    towards ``keep``. Dead ``run-current`` links and abandoned garbage go too.

    :param errors: Where to add messages for entries that could not be
        removed; without it the first such error is raised.
    """
    removed = []
    garbage = []
    with base.locked():
        sessions = list_sessions(base)
        newest = sorted(sessions, reverse=True)
        for number in newest[:keep]:
            trash = sessions[number] / TRASH_DIR
            if os.path.lexists(trash) and not owners.is_live(sessions[number]):
                name = trash_name(f"{sessions[number].name}-trash")
                os.rename(trash, base.path / name)
                garbage.append(name)
        for number in newest[keep:]:
            if owners.is_live(sessions[number]):
                continue
            name = trash_name(sessions[number].name)
            os.rename(sessions[number].name, name, src_dir_fd=base.fd,
                      dst_dir_fd=base.fd)  # fmt: skip
            garbage.append(name)
            removed.append(sessions[number])
        with os.scandir(base.fd) as entries:
            for entry in entries:
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
    return removed
