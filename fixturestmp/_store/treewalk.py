"""Read a kept directory tree without ever following a symlink out of it.

As in :mod:`fixturestmp._store.removal`, every directory is opened relative to its
parent's descriptor with ``O_NOFOLLOW``: a symlink, even one swapped in
while the tree is read, is reported as a link and never entered or read
through. ``collect`` and ``report`` read kept trees this way.
"""

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from fixturestmp._store.dirflags import DIR_FLAGS

__all__ = ["TreeEntry", "kind_of", "open_file", "walk_tree"]

# O_NONBLOCK: opening a FIFO swapped in for a file must not wait for a writer.
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


@dataclass
class TreeEntry:
    """One entry of a tree, as :func:`walk_tree` finds it.

    :ivar rel: Its path relative to the top, ``/``-separated; ``""`` is the
        top itself.
    :ivar kind: ``dir``, ``file``, ``link``, ``other`` (FIFO, socket,
        device) or ``error`` (it could not be read; see ``error``).
    :ivar size: Its size in bytes (``lstat``), 0 for an error.
    :ivar mode: Its permission bits.
    :ivar mtime: Its modification time.
    :ivar target: A link's target, as written in the link.
    :ivar error: Why it could not be read, for kind ``error``.
    :ivar dir_fd: The descriptor of its directory, open while the walk is
        at this entry (see :func:`open_file`).
    :ivar name: Its name in that directory.
    """

    rel: str
    kind: str
    size: int = 0
    mode: int = 0
    mtime: float = 0.0
    target: str = ""
    error: str = ""
    dir_fd: int = -1
    name: str = ""


def kind_of(mode: int) -> str:
    """Return the kind of an entry of ``mode`` (from ``lstat``): ``dir``,
    ``file``, ``link`` or ``other`` (FIFO, socket, device): the one
    vocabulary of entry kinds.
    """
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISLNK(mode):
        return "link"
    return "other"


def _entry(rel: str, dir_fd: int, name: str) -> TreeEntry:
    try:
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError as error:
        return TreeEntry(rel, "error", error=error.strerror or str(error))
    entry = TreeEntry(
        rel, kind_of(info.st_mode), info.st_size, stat.S_IMODE(info.st_mode),
        info.st_mtime, dir_fd=dir_fd, name=name,
    )  # fmt: skip
    if entry.kind == "link":
        try:
            entry.target = os.readlink(name, dir_fd=dir_fd)
        except OSError as error:
            entry.target = f"(unreadable: {error.strerror})"
    return entry


def walk_tree(top: os.PathLike[str] | str) -> Iterator[TreeEntry]:
    """Yield the entries of the tree at ``top``, each directory before its
    contents, names in sorted order.

    ``top`` itself is yielded first (``rel == ""``); if it is a symlink or
    not a directory, nothing else is. A directory that cannot be opened or
    listed is yielded again as kind ``error`` and the walk goes on.
    Descriptors are closed when the walk ends or the generator is closed.
    """
    top = os.fspath(top)
    parent, name = os.path.split(os.path.abspath(top))
    parent_fd = os.open(parent, DIR_FLAGS & ~os.O_NOFOLLOW)
    # (fd, rel, remaining names) per open directory; an explicit stack, as
    # trees may be deeper than Python's recursion limit.
    stack: list[tuple[int, str, list[str]]] = []
    try:
        entry = _entry("", parent_fd, name)
        yield entry
        if entry.kind == "dir":
            failed = _descend(stack, parent_fd, name, "")
            if failed is not None:
                yield failed
        while stack:
            fd, rel, names = stack[-1]
            if not names:
                stack.pop()
                os.close(fd)
                continue
            name = names.pop()
            child_rel = f"{rel}/{name}" if rel else name
            entry = _entry(child_rel, fd, name)
            yield entry
            if entry.kind == "dir":
                failed = _descend(stack, fd, name, child_rel)
                if failed is not None:
                    yield failed
    finally:
        for fd, _, _ in stack:
            os.close(fd)
        os.close(parent_fd)


def _descend(
    stack: list[tuple[int, str, list[str]]], parent_fd: int, name: str, rel: str
) -> TreeEntry | None:
    try:
        fd = os.open(name, DIR_FLAGS, dir_fd=parent_fd)
    except OSError as error:
        return TreeEntry(rel, "error", error=error.strerror or str(error))
    try:
        names = sorted(os.listdir(fd), reverse=True)
    except OSError as error:
        os.close(fd)
        return TreeEntry(rel, "error", error=error.strerror or str(error))
    stack.append((fd, rel, names))
    return None


def open_file(entry: TreeEntry) -> int:
    """Open the regular file ``entry`` for reading, never through a symlink.

    Call it while the walk is at ``entry``.

    :raises OSError: It cannot be opened, or is no longer a regular file.
    """
    fd = os.open(entry.name, _FILE_FLAGS, dir_fd=entry.dir_fd)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{entry.rel} is no longer a regular file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd
