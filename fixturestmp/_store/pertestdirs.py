"""TestDirs: the per-test directories of an open session.

Made relative to the session's descriptor, numbered so names never collide,
and discarded off the test's time: renamed into the session's trash, whose
thread deletes them.
"""

import errno
import os
import threading
from pathlib import Path

from fixturestmp._store.naming import safe_name
from fixturestmp._store.ownedsession import OwnedSession
from fixturestmp._store.removal import RemovalError
from fixturestmp._store.trash import Trash
from fixturestmp.errors import explain

__all__ = ["TestDirs"]


class TestDirs:
    """Per-test directories in an open session.

    :ivar trash: Where big directories go to be deleted aside.
    :ivar created: The names made, for an explicit basetemp (whose other
        entries are the user's and must stay); else ``None``.
    :ivar trash_failed: Whether the trash could not delete everything.
    """

    __test__ = False  # Not a test, whatever its name says (for pytest).

    def __init__(self, owned: OwnedSession, track_created: bool) -> None:
        """Make directories in ``owned``'s session directory.

        :param track_created: Remember every name made (see ``created``).
        """
        self._path = owned.path
        self._path_str = str(owned.path)
        self._fd = owned.fd
        self._names: dict[str, int] = {}
        self._lock = threading.Lock()
        self.created: set[str] | None = set() if track_created else None
        self.trash = Trash(owned.path, owned.fd)
        self.trash_failed = False

    def mktemp(self, basename: str, numbered: bool = True) -> Path:
        """Create a new directory and return its path (see :meth:`make_dir`)."""
        return self.path_of(self.make_dir(basename, numbered))

    def make_dir(
        self, basename: str, numbered: bool = True, exact: bool = False
    ) -> str:
        """Create a new directory in the session; return its path as text.

        :param basename: Made safe (``\\W`` becomes ``_``, cut to 30
            characters).
        :param numbered: Append the lowest number that makes the name new.
        :param exact: Take ``basename`` as it is, one path component the
            caller has checked (pytest's ``tmp_path_factory.mktemp``).
        :raises FileExistsError: ``numbered`` is false and the name exists.
        """
        name = basename if exact else safe_name(basename)
        if not numbered:
            self._make(name)
        else:
            with self._lock:
                number = self._names.get(name, 0)
                while True:
                    candidate = f"{name}{number}"
                    number += 1
                    try:
                        self._make(candidate)
                        break
                    except FileExistsError:
                        continue
                self._names[name] = number
            name = candidate
        if self.created is not None:
            self.created.add(name)
        return f"{self._path_str}/{name}"

    def _make(self, name: str) -> None:
        try:
            os.mkdir(name, 0o700, dir_fd=self._fd)
        except FileExistsError:
            raise
        except OSError as error:
            path = f"{self._path_str}/{name}"
            raise explain(error, path, "create the test directory") from error

    def path_of(self, path: str) -> Path:
        """Return the :class:`~pathlib.Path` of a :meth:`make_dir` result."""
        return self._path / path[len(self._path_str) + 1 :]

    def discard(self, path: str | os.PathLike[str]) -> None:
        """Remove ``path``, made here, off the caller's time."""
        name = os.fspath(path).rpartition("/")[2]
        self.trash.discard(name)
        if self.created:
            self.created.discard(name)

    def close(self) -> None:
        """Wait for the trash to finish; raise if it could not delete all."""
        errors = self.trash.close()
        self.trash_failed = bool(errors)
        if errors:
            raise RemovalError(
                errno.ENOTEMPTY,
                "fixturestmp could not delete some test directories: "
                + "; ".join(errors),
            )
