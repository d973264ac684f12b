"""The per-user base directory ``<temproot>/fixturestmp-of-<user>``.

It is opened once with ``O_NOFOLLOW | O_DIRECTORY`` and checked with
``fstat`` on that descriptor, so the directory that is checked is the one
that is used: there is no window in which a symlink could be swapped in.
Everything below it is reached relative to the descriptor.

In the default temporary root (shared by every user), anyone can create
``fixturestmp-of-<user>`` before that user does. Rather than refuse to run
(the denial of service pytest is open to), :func:`open_base_dir` then uses
a private directory of the user's own next to it, and warns once.
"""

import contextlib
import errno
import fcntl
import getpass
import os
import pwd
import re
import stat
import warnings
from collections.abc import Iterator
from pathlib import Path

from fixturestmp._store.dirflags import DIR_FLAGS
from fixturestmp.errors import UnsafeRootError, explain

__all__ = [
    "BaseDir",
    "BaseDirFallbackWarning",
    "SharedRootWarning",
    "base_name",
    "is_base_name",
    "open_base_dir",
]

_LOCK_NAME = ".lock"


def base_name() -> str:
    """Return ``fixturestmp-of-<user>`` for the current user."""
    try:
        user = getpass.getuser()
    except (ImportError, KeyError, OSError):
        user = str(os.getuid())
    return "fixturestmp-of-" + (re.sub(r"[^\w.-]", "_", user) or str(os.getuid()))


def is_base_name(name: str) -> bool:
    """Return whether ``name`` may be this user's base directory."""
    own = base_name()
    return name == own or name.startswith(f"{own}.{os.getuid()}")


#: The directory the ``files`` check makes for a moment in the temporary
#: directory, to try the file system's clock.
PROBE_PREFIX = "fixturestmp-clockprobe-"
# Directories that test tools keep on purpose across tests and runs
# (besides this user's base directory, whose name has forms of its own).
_KEPT_PREFIXES = ("fixturestmp-of-", "pytest-of-", PROBE_PREFIX)


def kept_on_purpose(name: str) -> bool:
    """Return whether the temporary directory's entry ``name`` is one that
    test tools keep on purpose, never a leak: fixturestmp's and pytest's
    base directories, and the ``files`` check's clock probe.

    The one rule of both temp-leak detectors: the per-test ``files`` check
    and ``fixturestmp run --check-leaks``.
    """
    return is_base_name(name) or name.startswith(_KEPT_PREFIXES)


class BaseDirFallbackWarning(UserWarning):
    """The usual base directory is unsafe: a private one is used instead."""


_warned: set[str] = set()


def open_base_dir(
    root: Path, *, create: bool = True, fallback: bool = False
) -> "BaseDir":
    """Open the base directory in ``root``.

    With ``fallback`` (``root`` is the system's temporary directory, not one
    the user chose), a base directory that cannot be used safely because
    someone else made it (another user's, a symlink, not a directory) does
    not stop the run: ``fixturestmp-of-<user>.<uid>`` is used instead, or if
    that is taken too, the user's own ``fixturestmp-of-<user>.<uid>-<random>``
    (made like :func:`tempfile.mkdtemp`, found again by later runs). A
    :class:`BaseDirFallbackWarning` says so, once per process.

    :param create: Create the directory if it is missing; otherwise raise
        :class:`FileNotFoundError`.
    :raises UnsafeRootError: Without ``fallback``, as :class:`BaseDir`.
    """
    try:
        return BaseDir(root, create)
    except UnsafeRootError as error:
        if not fallback:
            raise
        refusal = error
    name = f"{base_name()}.{os.getuid()}"
    try:
        base = BaseDir(root, create, name=name)
    except UnsafeRootError:
        base = _private_base(Path(root), name, create)
    usual = str(Path(root) / base_name())
    if usual not in _warned:
        _warned.add(usual)
        warnings.warn(
            f"fixturestmp: {refusal.strerror} "
            f"Meanwhile your temporary directories go to {base.path}, which "
            f"only you can use.",
            BaseDirFallbackWarning,
            stacklevel=3,
        )
    return base


def _private_base(root: Path, prefix: str, create: bool) -> "BaseDir":
    """Return the user's first safe ``<prefix>-*`` base, or make one."""
    for entry in sorted(os.listdir(root)):
        if entry.startswith(prefix + "-"):
            try:
                return BaseDir(root, create=False, name=entry)
            except (UnsafeRootError, FileNotFoundError):
                continue
    if not create:
        raise FileNotFoundError(errno.ENOENT, "no private base directory", root)
    while True:
        name = f"{prefix}-{os.urandom(4).hex()}"
        try:
            os.mkdir(root / name, 0o700)
        except FileExistsError:
            continue
        return BaseDir(root, create=False, name=name)


class BaseDir:
    """An open, checked base directory.

    :ivar path: The base directory's absolute path.
    :ivar fd: A descriptor open on it; every operation is relative to it.
    """

    def __init__(self, root: Path, create: bool = True, name: str = "") -> None:
        """Open (creating if needed) the base directory inside ``root``.

        :param create: Create it if it is missing; otherwise raise
            :class:`FileNotFoundError`.
        :param name: Its name (default: :func:`base_name`).
        :raises UnsafeRootError: It is a symlink, not a directory, or owned by
            another user.
        """
        self.path = Path(root) / (name or base_name())
        try:
            root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as error:
            raise explain(error, root, "open the temporary root") from error
        try:
            _warn_if_shared(Path(root), root_fd, self.path)
            if create:
                try:
                    os.mkdir(self.path.name, 0o700, dir_fd=root_fd)
                except FileExistsError:
                    pass
                except OSError as error:
                    doing = "create the base directory"
                    raise explain(error, self.path, doing) from error
            try:
                self.fd = os.open(
                    self.path.name,
                    DIR_FLAGS,
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
            info = os.lstat(self.path.name, dir_fd=root_fd)
        except OSError:
            info = None
        is_link = info is not None and stat.S_ISLNK(info.st_mode)
        if is_link or error.errno == errno.ELOOP:
            what = "is a symlink"
        elif error.errno == errno.ENOTDIR:
            what = "is not a directory"
        else:
            what = f"cannot be opened ({error.strerror})"
        if info is not None and info.st_uid != os.getuid():
            what = f"(owned by uid {info.st_uid}{_user(info.st_uid)}) {what}"
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
                f"{info.st_uid}{_user(info.st_uid)}, not by you (uid "
                f"{os.getuid()}); another user could read or replace your "
                f"temporary files. Remove it as its owner or root, or set "
                f"FIXTURESTMP_ROOT to a private directory.",
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


class SharedRootWarning(UserWarning):
    """Another user may rename or replace entries of the temporary root."""


_warned_shared: set[str] = set()


def _warn_if_shared(root: Path, root_fd: int, base: Path) -> None:
    """Warn, once per root and process, if another user can write to it.

    Its owner always can; with write permission for group or others, anyone
    can unless the sticky bit is set (as on ``/tmp``). Such a user can swap
    the base directory for a symlink mid-run: fixturestmp then still works
    inside the directory it checked (through its descriptor), but tests
    reach their directories by path.
    """
    info = os.fstat(root_fd)
    mode = stat.S_IMODE(info.st_mode)
    if info.st_uid not in (os.getuid(), 0):
        why = f"is owned by uid {info.st_uid}{_user(info.st_uid)}"
        fix = "Use a root only you can write to: set FIXTURESTMP_ROOT."
    elif mode & 0o022 and not mode & stat.S_ISVTX:
        who = "everyone" if mode & 0o002 else f"group {info.st_gid}"
        why = f"is writable by {who} (mode {mode:04o}) without the sticky bit"
        fix = (
            f"Use a root only you can write to (set FIXTURESTMP_ROOT), or add "
            f"the sticky bit (chmod +t {root})."
        )
    else:
        return
    if str(root) in _warned_shared:
        return
    _warned_shared.add(str(root))
    warnings.warn(
        f"fixturestmp: the temporary root {root} {why}: another user can "
        f"rename {base} or replace it with a symlink while you run. "
        f"fixturestmp makes and removes everything through the directory it "
        f"checked, never through a swapped-in one, but your tests use their "
        f"directories by path. {fix}",
        SharedRootWarning,
        stacklevel=4,
    )


def _user(uid: int) -> str:
    try:
        return f" ({pwd.getpwuid(uid).pw_name})"
    except KeyError:
        return ""
