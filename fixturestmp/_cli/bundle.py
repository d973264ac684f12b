"""Where ``fixturestmp collect`` writes: a new directory, or one ``.tar.gz``.

Both take the same calls, with paths relative to the bundle's top, so the
collector does not care which it fills. Nothing is followed or overwritten:
directory entries are made with ``O_EXCL`` and ``O_NOFOLLOW``, and an
archive is written under a temporary name and renamed into place only when
it is complete.
"""

import io
import os
import tarfile
import time
from pathlib import Path

__all__ = ["ArchiveBundle", "Bundle", "DirectoryBundle"]

_CHUNK = 1024 * 1024


class Bundle:
    """The common interface: add directories, files, links and texts.

    :ivar top: The name of the bundle's top directory.
    :ivar shortened: Paths of files that shrank while being copied.
    """

    def __init__(self, top: str) -> None:
        self.top = top
        self.shortened: list[str] = []

    def add_dir(self, rel: str, mode: int = 0o755) -> None:
        """Add the directory ``rel``."""
        raise NotImplementedError

    def add_file(self, rel: str, fd: int, size: int, mode: int, mtime: float) -> int:
        """Add ``size`` bytes read from ``fd`` as the file ``rel``.

        A file that shrank while it was copied is noted in :attr:`shortened`.

        :return: The bytes copied.
        """
        data = _Exactly(fd, size)
        copied = self._add(rel, data, size, mode, mtime)
        if data.short:
            self.shortened.append(rel)
        return copied

    def add_link(self, rel: str, target: str) -> None:
        """Add the symlink ``rel`` pointing to ``target`` (never followed)."""
        raise NotImplementedError

    def add_text(self, rel: str, text: str) -> None:
        """Add the file ``rel`` holding ``text``."""
        data = text.encode("utf-8", "backslashreplace")
        self._add(rel, io.BytesIO(data), len(data), 0o644, time.time())

    def _add(
        self, rel: str, data: io.RawIOBase | io.BytesIO, size: int, mode: int,
        mtime: float,
    ) -> int:  # fmt: skip
        raise NotImplementedError

    def close(self, complete: bool = True) -> None:
        """Finish the bundle; if not ``complete``, remove what was written."""
        raise NotImplementedError


class DirectoryBundle(Bundle):
    """A new directory ``<dest>/<top>``.

    :ivar path: That directory.
    """

    def __init__(self, dest: Path, top: str) -> None:
        super().__init__(top)
        dest.mkdir(parents=True, exist_ok=True)
        self.path = dest / top
        self.path.mkdir(mode=0o755)

    def add_dir(self, rel: str, mode: int = 0o755) -> None:
        (self.path / rel).mkdir(mode=0o755, exist_ok=rel == "")
        # Owner access always: a copy the CI cannot read is no artifact.
        os.chmod(self.path / rel, (mode & 0o777) | 0o700)

    def _add(
        self, rel: str, data: io.RawIOBase | io.BytesIO, size: int, mode: int,
        mtime: float,
    ) -> int:  # fmt: skip
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        out = os.open(self.path / rel, flags, 0o600)
        copied = 0
        try:
            while copied < size:
                chunk = data.read(min(_CHUNK, size - copied))
                if not chunk:
                    break
                os.write(out, chunk)
                copied += len(chunk)
            os.fchmod(out, (mode & 0o777) | 0o600)
            os.utime(out, (mtime, mtime))
        finally:
            os.close(out)
        return copied

    def add_link(self, rel: str, target: str) -> None:
        os.symlink(target, self.path / rel)

    def close(self, complete: bool = True) -> None:
        if not complete:
            from fixturestmp._store.removal import remove_tree

            remove_tree(self.path)


class _Exactly(io.RawIOBase):
    """``size`` bytes of ``fd``, padded with NULs if the file shrank.

    A tar member's size is written before its data, so the data must match.
    """

    def __init__(self, fd: int, size: int) -> None:
        self._fd = fd
        self._left = size
        self.short = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        wanted = self._left if size < 0 else min(size, self._left)
        data = os.read(self._fd, wanted) if wanted and not self.short else b""
        if len(data) < wanted:
            self.short = True
            data += b"\0" * (wanted - len(data))
        self._left -= len(data)
        return data


class ArchiveBundle(Bundle):
    """One ``.tar.gz`` file whose members are below ``<top>/``.

    :ivar path: The archive, present once :meth:`close` succeeded.
    """

    def __init__(self, path: Path, top: str) -> None:
        super().__init__(top)
        self.path = path
        self._part = path.with_name(f".{path.name}.part-{os.getpid()}")
        fd = os.open(
            self._part,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o644,
        )
        self._stream = os.fdopen(fd, "wb")
        # Level 6: most of 9's saving at a fraction of its time.
        self._tar = tarfile.open(
            fileobj=self._stream, mode="w:gz", compresslevel=6,
            format=tarfile.PAX_FORMAT,
        )  # fmt: skip
        self._now = time.time()

    def _info(self, rel: str, kind: bytes, mode: int, mtime: float) -> tarfile.TarInfo:
        info = tarfile.TarInfo(f"{self.top}/{rel}" if rel else self.top)
        info.type = kind
        info.mode = mode & 0o777
        info.mtime = mtime
        return info

    def add_dir(self, rel: str, mode: int = 0o755) -> None:
        self._tar.addfile(self._info(rel, tarfile.DIRTYPE, mode | 0o700, self._now))

    def _add(
        self, rel: str, data: io.RawIOBase | io.BytesIO, size: int, mode: int,
        mtime: float,
    ) -> int:  # fmt: skip
        info = self._info(rel, tarfile.REGTYPE, mode | 0o600, mtime)
        info.size = size
        self._tar.addfile(info, data)
        return size

    def add_link(self, rel: str, target: str) -> None:
        info = self._info(rel, tarfile.SYMTYPE, 0o777, self._now)
        info.linkname = target
        self._tar.addfile(info)

    def close(self, complete: bool = True) -> None:
        try:
            self._tar.close()
            self._stream.close()
            if complete:
                os.rename(self._part, self.path)
                return
        except BaseException:
            # An archive that could not be finished is not left behind.
            self._stream.close()
            os.unlink(self._part)
            raise
        os.unlink(self._part)
