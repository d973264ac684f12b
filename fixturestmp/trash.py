"""A session's trash: trees leave the test in O(1) and are deleted aside.

Removing a tree costs time in proportion to its size; renaming it does not.
A test's directory is renamed into ``<session>/.trash/<owner>/`` (same
filesystem, one ``rename``), and a background thread deletes it. At the
session's end the trash is drained, so nothing remains; if the process dies
first, the trash stays inside the session directory, where the next prune
removes it.

Every :class:`Trash` has its own subdirectory: the workers of a session
share its directory, and one that ends must not remove the trash directory
from under another that is still discarding (a non-empty directory cannot
be removed).
"""

import collections
import itertools
import os
import stat
import threading
from pathlib import Path

from fixturestmp import owners
from fixturestmp.errors import message
from fixturestmp.removal import RemovalError, open_up, remove_entry

__all__ = ["SMALL_TREE", "TRASH_DIR", "Trash", "delete_if_small"]

TRASH_DIR = ".trash"
#: Directories with at most this many entries and no subdirectory are
#: deleted in place: a bounded cost, well under a millisecond.
SMALL_TREE = 16
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
THREAD_NAME = "fixturestmp-trash"
_serial = itertools.count()


class Trash:
    """Deletes discarded trees in a background thread.

    :ivar path: The trash directory, inside the session directory.
    :ivar errors: Messages for trees that could not be deleted.
    """

    def __init__(self, session: Path) -> None:
        self.path = Path(session) / TRASH_DIR
        self.errors: list[str] = []
        self._pid = -1

    def _start(self) -> None:
        # (Re)initialised lazily and in a forked child, whose copy of the
        # parent's thread does not run.
        self._pending: collections.deque[str] = collections.deque()
        self._busy = False
        self._stopping = False
        self._condition = threading.Condition()
        self._count = 0
        self._own = self.path / f"{owners.owner_token()}-{next(_serial)}"
        for attempt in range(10):
            try:
                os.mkdir(self.path, 0o700)
            except FileExistsError:
                pass
            try:
                os.mkdir(self._own, 0o700)
                break
            except FileNotFoundError:
                # Another user removed the empty trash directory meanwhile.
                if attempt == 9:
                    raise
        self._fd = os.open(self._own, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self._thread = threading.Thread(
            target=self._work, name=THREAD_NAME, daemon=True
        )
        self._pid = os.getpid()
        self._thread.start()

    def discard(self, path: str | os.PathLike[str]) -> None:
        """Move ``path`` (inside the session) into the trash, in O(1).

        Small directories are cheaper to delete at once: see
        :func:`delete_if_small`.
        """
        if self._pid != os.getpid():
            self._start()
        self._count += 1
        # The test directory's name stays visible, in errors too.
        name = f"{self._count}-{os.path.basename(path)}"
        try:
            os.rename(path, self._own / name)
        except PermissionError:
            # Moving a directory to another parent rewrites its "..": it
            # needs write permission on the directory itself.
            open_up(path)
            os.rename(path, self._own / name)
        with self._condition:
            self._pending.append(name)
            self._condition.notify_all()

    def _work(self) -> None:
        while True:
            with self._condition:
                while not self._pending:
                    self._busy = False
                    self._condition.notify_all()
                    if self._stopping:
                        return
                    self._condition.wait()
                name = self._pending.popleft()
                self._busy = True
            try:
                remove_entry(self._fd, name, shown=str(self._own / name))
            except (RemovalError, OSError) as error:
                self.errors.append(message(error))

    def drain(self) -> list[str]:
        """Wait until everything discarded so far is deleted; return errors."""
        if self._pid == os.getpid():
            with self._condition:
                while self._pending or self._busy:
                    self._condition.wait()
        return self.errors

    def close(self) -> list[str]:
        """Drain, then remove this trash's directory, and the trash directory
        unless another user has entries in it.
        """
        errors = self.drain()
        if self._pid == os.getpid():
            with self._condition:
                self._stopping = True
                self._condition.notify_all()
            self._thread.join()
            os.close(self._fd)
            self._pid = -1
            for path in (self._own, self.path):
                try:
                    os.rmdir(path)
                except OSError:
                    pass  # Another user's entries, or undeletable ones.
        return errors


def delete_if_small(path: str | os.PathLike[str]) -> bool:
    """Delete ``path`` if it is small and plain; return whether it was.

    At most :data:`SMALL_TREE` entries and no subdirectory: a bounded cost,
    cheaper than waking the trash's thread.

    A subdirectory makes ``unlink`` fail (``EISDIR``): what is left goes the
    careful way, through the trash.
    """
    try:
        fd = os.open(path, _DIR_FLAGS)
    except OSError:
        return False
    try:
        names = os.listdir(fd)
        if len(names) > SMALL_TREE:
            return False
        for name in names:
            try:
                os.unlink(name, dir_fd=fd)
            except PermissionError:
                # Left read-only by its test (not a cost on the common path).
                os.fchmod(fd, stat.S_IMODE(os.fstat(fd).st_mode) | stat.S_IRWXU)
                os.unlink(name, dir_fd=fd)
    except OSError:
        return False  # A subdirectory, or changing under us.
    finally:
        os.close(fd)
    try:
        os.rmdir(path)
    except OSError:
        return False
    return True
