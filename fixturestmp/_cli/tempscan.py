"""What a command left in the system temporary directory.

The directory is listed before and after the command; an entry is new when
its name was not there before. Listing is by name only (``listdir``, no
``stat`` per entry), so that a directory of many entries costs two quick
passes. Only new entries are ``lstat``-ed, to
tell kind, size and owner: entries owned by another user were not left by the
command (which runs as us) and are never reported or removed. An old name
deleted and made again during the run is not reported, and so never removed:
in doubt, an entry is left alone. What test tools keep there on purpose is
never reported, by the same rule as the per-test ``files`` check
(:func:`fixturestmp._store.basedir.kept_on_purpose`).
"""

import os
import stat
import tempfile
from pathlib import Path
from typing import NamedTuple

from fixturestmp._store.basedir import kept_on_purpose
from fixturestmp._store.removal import RemovalError, remove_tree

__all__ = ["TempEntry", "TempSnapshot"]

# How the summary names a kind of entry, in words.
_WORDS = {"dir": "directory", "link": "symlink"}


class TempEntry(NamedTuple):
    """An entry a command left in the temporary directory.

    :ivar path: Its path.
    :ivar kind: ``file``, ``dir``, ``link`` or ``other``
        (:func:`~fixturestmp._store.treewalk.kind_of`).
    :ivar size: Bytes for a file, else 0.
    """

    path: Path
    kind: str
    size: int

    def describe(self) -> str:
        """Return a one-line description."""
        size = f" ({self.size} bytes)" if self.kind == "file" else ""
        return f"{_WORDS.get(self.kind, self.kind)} {self.path}{size}"


class TempSnapshot:
    """The entries of a temporary directory at one moment.

    :ivar directory: The directory listed (default:
        :func:`tempfile.gettempdir`, so ``TMPDIR`` is honoured).
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory or tempfile.gettempdir())
        self._entries = self._list()

    def _list(self) -> set[str]:
        return set(os.listdir(self.directory))

    def new_entries(self) -> list[TempEntry]:
        """Return the entries added since the snapshot, ours only, sorted."""
        # Only when the run is over: the wrapper's start pays nothing for it.
        from fixturestmp._store.treewalk import kind_of

        found = []
        for name in sorted(self._list() - self._entries):
            if kept_on_purpose(name):
                continue
            path = self.directory / name
            try:
                info = os.lstat(path)
            except FileNotFoundError:
                continue
            if info.st_uid != os.getuid():
                continue
            found.append(TempEntry(path, kind_of(info.st_mode), _size(info)))
        return found

    @staticmethod
    def remove(entries: list[TempEntry]) -> list[str]:
        """Remove ``entries`` (never following symlinks); return errors."""
        errors = []
        for entry in entries:
            try:
                remove_tree(entry.path)
            except (RemovalError, OSError) as error:
                errors.append(str(error))
        return errors


def _size(info: os.stat_result) -> int:
    return info.st_size if stat.S_ISREG(info.st_mode) else 0
