"""TempDir: ``fixtures.TempDir`` with retention, a one-line change of import."""

import fixtures

from fixturestmp._fixtures.directory import open_directory

__all__ = ["TempDir"]


class TempDir(fixtures.TempDir):
    """A drop-in for :class:`fixtures.TempDir` that keeps a failed test's files.

    Same constructor, ``path`` (a ``str``), ``join()`` and exceptions as
    ``fixtures.TempDir``; under a test it behaves like
    :class:`~fixturestmp.TempDirFixture`: its directory is made in the
    session, named after the test, kept when the test fails, and has a
    ``tmp-path`` detail. ``import fixtures`` ... ``fixtures.TempDir()``
    becomes ``import fixturestmp`` ... ``fixturestmp.TempDir()``.

    With ``rootdir``, the directory is made inside ``rootdir`` with a random
    name, as ``fixtures.TempDir(rootdir)`` makes it, and the same retention
    applies: removed when its test passes, kept (and recorded in the session,
    so ``fixturestmp show`` finds it) when it fails. It is never pruned with
    old sessions.

    :ivar path: The directory, an absolute path as a ``str``.
    """

    def _setUp(self) -> None:
        directory = open_directory(self, rootdir=self.rootdir)
        self.path = directory.where
