"""OwnedSession: a session directory, open, and this process's use of it.

A session directory is reached in one of three ways: made as the next
numbered ``run-<N>`` in the base directory, an explicit ``basetemp``, or
joined (``fixturestmp run``'s workers). Each way ends in the same state: a
descriptor open on the directory, through which everything in it is made,
and this process's owner record, which keeps other sessions from pruning
it until :meth:`OwnedSession.release`.
"""

import os
import weakref
from pathlib import Path

from fixturestmp._process import forks
from fixturestmp._store import owners
from fixturestmp._store.basedir import BaseDir, open_base_dir
from fixturestmp._store.dirflags import DIR_FLAGS
from fixturestmp._store.newsession import check_basetemp, create_numbered, write_marker

__all__ = ["OwnedSession"]


class OwnedSession:
    """An open session directory and this process's owner record in it.

    :ivar path: The session directory.
    :ivar fd: A descriptor open on it, until :meth:`release` (then -1).
    :ivar base: The base directory of a numbered session, else ``None``.
    :ivar joined: Whether another process owns the session (it ends it).
    :ivar token: This process's owner token.
    :ivar owned_here: Whether this process opened it (not a forked child):
        only that process withdraws the owner record and ends the session.
    """

    def __init__(self, path: Path, fd: int, base: BaseDir | None, joined: bool) -> None:
        """Take over an open directory; use the class methods to get one."""
        self.path = path
        self.fd = fd
        self.base = base
        self.joined = joined
        self.token = owners.owner_token()
        self.owned_here = True
        _sessions.add(self)

    @classmethod
    def numbered(cls, root: Path, fallback: bool) -> "OwnedSession":
        """Make the next numbered session in ``root``'s base directory.

        :param fallback: ``root`` is the shared default: an unsafe base
            directory is worked around (see
            :func:`~fixturestmp._store.basedir.open_base_dir`).
        """
        base = open_base_dir(root, fallback=fallback)
        try:
            path, fd = create_numbered(base)
        except BaseException:
            base.close()
            raise
        return cls(path, fd, base, joined=False)

    @classmethod
    def at_basetemp(cls, path: Path) -> "OwnedSession":
        """Use ``path``, an explicit basetemp, as the session directory."""
        check_basetemp(path, True)
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        return cls._opened(path, joined=False, mark=True)

    @classmethod
    def join(cls, path: Path) -> "OwnedSession":
        """Use the existing session at ``path``, which another process ends."""
        return cls._opened(path, joined=True, mark=False)

    @classmethod
    def _opened(cls, path: Path, joined: bool, mark: bool) -> "OwnedSession":
        fd = os.open(path, DIR_FLAGS)
        try:
            if mark:
                write_marker(path, fd)
            owners.add_owner(path, fd)
        except BaseException:
            os.close(fd)
            raise
        return cls(path, fd, None, joined)

    def others_live(self) -> bool:
        """Return whether another live process uses the session."""
        return any(t != self.token for t in owners.live_owners(self.path, self.fd))

    def release(self) -> None:
        """Withdraw the owner record; close the descriptors.

        The session is prunable by others from then on.
        """
        try:
            if self.fd >= 0 and self.owned_here:
                owners.remove_owner(self.path, self.token, self.fd)
        finally:
            if self.fd >= 0:
                os.close(self.fd)
            self.fd = -1
            if self.base is not None:
                self.base.close()


_sessions: "weakref.WeakSet[OwnedSession]" = weakref.WeakSet()


@forks.after_fork_in_child
def _disown_parents_sessions() -> None:
    # A forked child uses its parent's sessions but does not own them.
    for owned in list(_sessions):
        owned.owned_here = False
