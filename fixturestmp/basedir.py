"""The per-user base directory ``<temproot>/fixturestmp-of-<user>``.

It is opened once with ``O_NOFOLLOW | O_DIRECTORY`` and checked with
``fstat`` on that descriptor, so the directory that is checked is the one
that is used: there is no window in which a symlink could be swapped in.
Everything below it is reached relative to the descriptor.
"""

import contextlib
import errno
import fcntl
import getpass
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from fixturestmp.errors import UnsafeRootError, explain

__all__ = ["BaseDir", "base_name"]

_LOCK_NAME = ".lock"


def base_name() -> str:
    """Return ``fixturestmp-of-<user>`` for the current user."""
    try:
        user = getpass.getuser()
    except (ImportError, KeyError, OSError):
        user = str(os.getuid())
    return "fixturestmp-of-" + (re.sub(r"[^\w.-]", "_", user) or str(os.getuid()))


class BaseDir:
    """An open, checked base directory.

    :ivar path: The base directory's absolute path.
    :ivar fd: A descriptor open on it; every operation is relative to it.
    """

    def __init__(self, root: Path, create: bool = True) -> None:
        """Open (creating if needed) the base directory inside ``root``.

        :param create: Create it if it is missing; otherwise raise
            :class:`FileNotFoundError`.
        :raises UnsafeRootError: It is a symlink, not a directory, or owned by
            another user.
        """
        self.path = Path(root) / base_name()
        root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            if create:
                try:
                    os.mkdir(self.path.name, 0o700, dir_fd=root_fd)
                except FileExistsError:
                    pass
            try:
                self.fd = os.open(
                    self.path.name,
                    os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                    dir_fd=root_fd,
                )
            except FileNotFoundError:
                raise
            except OSError as error:
                raise self._refusal(error, root_fd) from None
        finally:
            os.close(root_fd)
        try:
            self._check()
        except BaseException:
            os.close(self.fd)
            raise

    def _refusal(self, error: OSError, root_fd: int) -> UnsafeRootError:
        try:
            is_link = stat.S_ISLNK(os.lstat(self.path.name, dir_fd=root_fd).st_mode)
        except OSError:
            is_link = False
        if is_link or error.errno == errno.ELOOP:
            what = "is a symlink"
        elif error.errno == errno.ENOTDIR:
            what = "is not a directory"
        else:
            what = f"cannot be opened ({error.strerror})"
        return UnsafeRootError(
            error.errno,
            f"the fixturestmp base directory {self.path} {what}; someone else "
            f"may be trying to redirect your temporary files. Remove it "
            f"(rm {self.path}) or set FIXTURESTMP_ROOT to a private directory.",
        )

    def _check(self) -> None:
        info = os.fstat(self.fd)
        if info.st_uid != os.getuid():
            raise UnsafeRootError(
                errno.EPERM,
                f"the fixturestmp base directory {self.path} is owned by uid "
                f"{info.st_uid}, not by you (uid {os.getuid()}); another user "
                f"could read or replace your temporary files. Remove it as its "
                f"owner or root, or set FIXTURESTMP_ROOT to a private directory.",
            )
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.fchmod(self.fd, stat.S_IMODE(info.st_mode) & 0o700)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the base directory's lock: session creation and pruning.

        The lock is an ``flock``, released by the kernel if its holder dies.
        """
        try:
            fd = os.open(_LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600,
                         dir_fd=self.fd)  # fmt: skip
        except OSError as error:
            raise explain(error, self.path / _LOCK_NAME, "open the lock") from error
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as error:
                raise explain(error, self.path / _LOCK_NAME, "lock") from error
            yield
        finally:
            os.close(fd)

    def close(self) -> None:
        """Close the descriptor."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
