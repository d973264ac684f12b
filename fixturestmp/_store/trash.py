"""A session's trash: test directories leave the session in one ``rename``.

A test's directory is renamed into ``<session>/.trash/<owner>/`` (same
filesystem, one ``rename``) and deleted there: at once if it is small, else
by a background thread. Removing even an empty directory can wait on the
disk (a filesystem mounted to discard freed blocks waits for the device),
and it waits holding the lock of the directory's parent. The session
directory is the parent every worker of a session makes its directories
in; each trash directory has one user. At the session's end the trash is
drained, so nothing remains; if the process dies first, the trash stays
inside the session directory, where the next prune removes it.

Every :class:`Trash` has its own subdirectory: the workers of a session
share its directory, and one that ends must not remove the trash directory
from under another that is still discarding (a non-empty directory cannot
be removed).
"""

import collections
import contextlib
import itertools
import os
import stat
import threading
import weakref
from pathlib import Path

from fixturestmp._process import forks
from fixturestmp._store import owners
from fixturestmp._store.dirflags import DIR_FLAGS
from fixturestmp._store.removal import RemovalError, open_up, remove_entry
from fixturestmp.errors import message, name_in, names_in

__all__ = ["SMALL_TREE", "THREAD_NAME", "TRASH_DIR", "Trash", "delete_if_small"]

TRASH_DIR = ".trash"
#: Directories with at most this many entries and no subdirectory are
#: deleted at once: a small, bounded cost, cheaper than waking a thread.
SMALL_TREE = 16
#: The name of every trash's thread: the ``threads`` leak check passes over
#: threads named ``fixturestmp-...``.
THREAD_NAME = "fixturestmp-trash"
_serial = itertools.count()


class Trash:
    """Takes discarded trees out of the session and deletes them.

    :ivar path: The trash directory, inside the session directory.
    :ivar errors: Messages for trees that could not be deleted.
    """

    def __init__(self, session: Path, session_fd: int | None = None) -> None:
        """Make a trash for ``session``; nothing is created before use.

        :param session_fd: A descriptor open on ``session`` (kept open by the
            caller while the trash is used): everything is made, moved and
            removed relative to it.
        """
        self.session = Path(session)
        self.path = self.session / TRASH_DIR
        self.errors: list[str] = []
        self._session_fd = session_fd
        self._own_session_fd = -1
        self._fd = -1  # Its own directory, open in this process.
        self._running = False  # Its thread runs in this process.
        # Directories may be discarded from several threads: one opens the
        # trash, and each gets a number of its own.
        self._lock = threading.Lock()
        _trashes.add(self)

    def _open(self) -> None:
        # Made lazily, and again in a forked child (see _forget_parent).
        self._count = 0
        own = f"{owners.owner_token()}-{next(_serial)}"
        self._own = self.path / own
        if self._session_fd is None:
            self._own_session_fd = os.open(self.session, DIR_FLAGS)
        session_fd = self._session_fd_now()
        with names_in(self.session):
            for attempt in range(10):
                try:
                    os.mkdir(TRASH_DIR, 0o700, dir_fd=session_fd)
                except FileExistsError:
                    pass
                try:
                    os.mkdir(f"{TRASH_DIR}/{own}", 0o700, dir_fd=session_fd)
                    break
                except FileNotFoundError:
                    # Another user removed the empty trash directory meanwhile.
                    if attempt == 9:
                        raise
            self._fd = os.open(f"{TRASH_DIR}/{own}", DIR_FLAGS, dir_fd=session_fd)

    def _start(self) -> None:
        self._pending: collections.deque[str] = collections.deque()
        self._busy = False
        self._stopping = False
        self._condition = threading.Condition()
        self._thread = threading.Thread(
            target=self._work, name=THREAD_NAME, daemon=True
        )
        self._running = True
        self._thread.start()

    def _session_fd_now(self) -> int:
        return self._own_session_fd if self._session_fd is None else self._session_fd

    def discard(self, path: str | os.PathLike[str]) -> None:
        """Move ``path`` (a directory in the session) into the trash, in O(1),
        and delete it: at once if small (see :func:`delete_if_small`), else
        in the background.

        A symbolic link or a file the test left in its place is moved as it
        is, never followed.
        """
        with self._lock:
            if self._fd < 0:
                self._open()
            self._count += 1
            number = self._count
        source = os.path.basename(path)
        # The test directory's name stays visible, in errors too.
        name = f"{number}-{source}"
        session_fd = self._session_fd_now()
        try:
            os.rename(source, name, src_dir_fd=session_fd, dst_dir_fd=self._fd)
        except PermissionError:
            # Moving a directory to another parent rewrites its "..": it
            # needs write permission on the directory itself.
            with names_in(self.session, self._own):
                open_up(source, session_fd)
                os.rename(source, name, src_dir_fd=session_fd, dst_dir_fd=self._fd)
        except OSError as error:
            name_in(error, self.session, self._own)
            raise
        if delete_if_small(name, self._fd):
            return
        with self._lock:
            if not self._running:
                self._start()
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
        if self._running:
            with self._condition:
                while self._pending or self._busy:
                    self._condition.wait()
        return self.errors

    def close(self) -> list[str]:
        """Drain, then remove this trash's directory, and the trash directory
        unless another user has entries in it.
        """
        errors = self.drain()
        if self._running:
            with self._condition:
                self._stopping = True
                self._condition.notify_all()
            self._thread.join()
            self._running = False
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
            session_fd = self._session_fd_now()
            for name in (f"{TRASH_DIR}/{self._own.name}", TRASH_DIR):
                try:
                    os.rmdir(name, dir_fd=session_fd)
                except OSError:
                    pass  # Another user's entries, or undeletable ones.
            if self._own_session_fd >= 0:
                os.close(self._own_session_fd)
                self._own_session_fd = -1
        return errors

    def _forget_parent(self) -> None:
        """In a forked child: the parent's thread does not run here, and
        what it was given is the parent's to delete. The child's next
        discard makes a trash directory of its own; its copies of the
        parent's descriptors are closed."""
        for fd in (self._fd, self._own_session_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._fd = self._own_session_fd = -1
        self._running = False
        self._lock = threading.Lock()  # Another thread of the parent's may hold it.


_trashes: "weakref.WeakSet[Trash]" = weakref.WeakSet()


@forks.after_fork_in_child
def _forget_parents_trashes() -> None:
    for trash in list(_trashes):
        trash._forget_parent()


def delete_if_small(path: str | os.PathLike[str], dir_fd: int | None = None) -> bool:
    """Delete ``path`` if it is small and plain; return whether it was.

    At most :data:`SMALL_TREE` entries and no subdirectory: a bounded cost,
    cheaper than waking the trash's thread.

    A subdirectory makes ``unlink`` fail (``EISDIR``): what is left goes the
    careful way, by the trash's thread.

    :param dir_fd: ``path`` is a name in this open directory.
    """
    # Most test directories are left empty: one call removes them. A
    # symbolic link or a file fails it (ENOTDIR) and is never followed.
    try:
        os.rmdir(path, dir_fd=dir_fd)
        return True
    except OSError:
        pass
    try:
        fd = os.open(path, DIR_FLAGS, dir_fd=dir_fd)
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
        os.rmdir(path, dir_fd=dir_fd)
    except OSError:
        return False
    return True
