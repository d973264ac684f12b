"""Remove directory trees without ever following a symlink out of them.

Every directory is opened relative to its parent's descriptor with
``O_NOFOLLOW``, so a symlink swapped in while the tree is being removed is
unlinked, never entered. Directories that deny their owner access are opened
up with ``fchmod`` on the open descriptor first, so read-only trees go too.
"""

import errno
import os
import stat
from pathlib import Path

from fixturestmp._store.dirflags import DIR_FLAGS

__all__ = ["RemovalError", "open_up", "remove_tree"]

_OWNER_RWX = stat.S_IRWXU


class RemovalError(OSError):
    """Part of a tree could not be removed; the message names what and why."""


def remove_tree(path: os.PathLike[str] | str, *, missing_ok: bool = True) -> None:
    """Remove ``path`` and everything below it.

    ``path`` itself may be a file or a symlink, which is unlinked (a symlink's
    target is never touched).

    :param path: What to remove.
    :param missing_ok: Return quietly if ``path`` does not exist.
    :raises RemovalError: An entry could not be removed; the rest was.
    """
    path = Path(path)
    parent_fd = os.open(path.parent, DIR_FLAGS & ~os.O_NOFOLLOW)
    try:
        remove_entry(parent_fd, path.name, missing_ok=missing_ok, shown=str(path))
    finally:
        os.close(parent_fd)


def remove_entry(
    parent_fd: int, name: str, *, missing_ok: bool = True, shown: str | None = None
) -> None:
    """Remove the entry ``name`` of the open directory ``parent_fd``.

    :param shown: The path to name in errors.
    """
    shown = shown or name
    try:
        is_dir = stat.S_ISDIR(os.lstat(name, dir_fd=parent_fd).st_mode)
    except FileNotFoundError:
        if missing_ok:
            return
        raise
    except OSError as error:
        error.filename = shown
        raise
    if not is_dir:
        try:
            os.unlink(name, dir_fd=parent_fd)
        except FileNotFoundError:
            pass
        except OSError as error:
            raise RemovalError(
                error.errno, f"could not remove {shown}: {error.strerror}"
            ) from None
        return
    failures: list[str] = []
    _remove_directory(parent_fd, name, shown, failures)
    if failures:
        raise RemovalError(
            errno.ENOTEMPTY,
            f"could not remove {len(failures)} entr"
            + ("y" if len(failures) == 1 else "ies")
            + f" under {shown}: "
            + "; ".join(failures[:5])
            + ("; ..." if len(failures) > 5 else "")
            + ". Fix their permissions or owners (or immutable attributes: "
            "lsattr, chattr -i) and remove them by hand.",
        )


def open_up(name: str | os.PathLike[str], dir_fd: int | None = None) -> None:
    """Give the directory ``name`` its owner's read, write and search bits.

    A test may leave its directory read-only (``chmod 0555``): moving or
    emptying it then fails for its owner, root aside. It is reached with
    ``O_PATH | O_NOFOLLOW``, so a symlink swapped in is never followed: the
    mode of what it points to is not changed.

    :raises OSError: It is not a directory, or not ours to change.
    """
    fd = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_DIRECTORY | os.O_CLOEXEC,
                 dir_fd=dir_fd)  # fmt: skip
    try:
        mode = stat.S_IMODE(os.fstat(fd).st_mode)
        if mode & _OWNER_RWX != _OWNER_RWX:
            os.chmod(f"/proc/self/fd/{fd}", mode | _OWNER_RWX)
    finally:
        os.close(fd)


def _open_directory(parent_fd: int, name: str) -> int:
    try:
        return os.open(name, DIR_FLAGS, dir_fd=parent_fd)
    except PermissionError:
        # No read permission for its owner: grant it through an O_PATH
        # descriptor, which cannot be a symlink's target.
        path_fd = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_DIRECTORY,
                          dir_fd=parent_fd)  # fmt: skip
        try:
            os.chmod(f"/proc/self/fd/{path_fd}", _OWNER_RWX)
        finally:
            os.close(path_fd)
        return os.open(name, DIR_FLAGS, dir_fd=parent_fd)


def _remove_directory(
    parent_fd: int, name: str, shown: str, failures: list[str]
) -> None:
    # An explicit stack instead of recursion: trees may be deeper than
    # Python's recursion limit.
    try:
        top_fd = _open_directory(parent_fd, name)
    except FileNotFoundError:
        return
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENOTDIR):
            # Swapped for a symlink or a file since we looked: unlink it.
            _unlink(parent_fd, name, shown, failures)
        else:
            failures.append(f"{shown}: {error.strerror}")
        return
    # (fd, name, shown, entries, failures before it): a directory left
    # non-empty by a failure already reported is not reported again.
    stack: list[tuple[int, str, str, list[os.DirEntry[str]] | None, int]] = [
        (top_fd, name, shown, None, len(failures))
    ]
    while stack:
        fd, dir_name, dir_shown, entries, known = stack[-1]
        if entries is None:
            try:
                mode = os.fstat(fd).st_mode
                if mode & _OWNER_RWX != _OWNER_RWX:
                    os.fchmod(fd, mode | _OWNER_RWX)
                with os.scandir(fd) as iterator:
                    entries = list(iterator)
            except OSError as error:
                failures.append(f"{dir_shown}: {error.strerror}")
                entries = []
            stack[-1] = (fd, dir_name, dir_shown, entries, known)
        if entries:
            entry = entries.pop()
            entry_shown = f"{dir_shown}/{entry.name}"
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if not is_dir:
                _unlink(fd, entry.name, entry_shown, failures)
                continue
            try:
                child_fd = _open_directory(fd, entry.name)
            except FileNotFoundError:
                continue
            except OSError as error:
                if error.errno in (errno.ELOOP, errno.ENOTDIR):
                    _unlink(fd, entry.name, entry_shown, failures)
                else:
                    failures.append(f"{entry_shown}: {error.strerror}")
                continue
            stack.append((child_fd, entry.name, entry_shown, None, len(failures)))
            continue
        stack.pop()
        os.close(fd)
        owner_fd = stack[-1][0] if stack else parent_fd
        try:
            os.rmdir(dir_name, dir_fd=owner_fd)
        except FileNotFoundError:
            pass
        except OSError as error:
            if error.errno != errno.ENOTEMPTY or len(failures) == known:
                failures.append(f"{dir_shown}: {error.strerror}")


def _unlink(dir_fd: int, name: str, shown: str, failures: list[str]) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        # A directory swapped in after we looked: remove it the careful way.
        _remove_directory(dir_fd, name, shown, failures)
    except OSError as error:
        failures.append(f"{shown}: {error.strerror}")
