"""The system's temporary directory, wherever a test moved ``tempfile``'s."""

import os

__all__ = ["system_tempdir"]

# tempfile's documented search order, after the environment variables.
_PLATFORM_DIRS = ("/tmp", "/var/tmp", "/usr/tmp")


def system_tempdir() -> str:
    """Return the system temporary directory, as an absolute path.

    The first usable of ``TMPDIR``, ``TEMP``, ``TMP``, then ``/tmp``,
    ``/var/tmp``, ``/usr/tmp`` and the current directory: the directory
    :func:`tempfile.gettempdir` chooses, but never the one a test fixture
    patched into ``tempfile.tempdir`` (``fixtures.NestedTempfile``, used by
    oslotest for every test, deletes it when the test ends).
    """
    candidates = [os.environ.get(name) for name in ("TMPDIR", "TEMP", "TMP")]
    for candidate in [*candidates, *_PLATFORM_DIRS]:
        if candidate and _usable(candidate):
            return os.path.abspath(candidate)
    return os.getcwd()


def _usable(directory: str) -> bool:
    return os.path.isdir(directory) and os.access(directory, os.W_OK | os.X_OK)
