"""The system's temporary directory as the process started with it.

A test may move the temporary directory before fixturestmp makes its
first directory: ``fixtures.EnvironmentVariable("TMPDIR", ...)`` with a
directory of its own, or ``fixtures.NestedTempfile`` (which oslotest uses
for every test) patching :data:`tempfile.tempdir`. Both are deleted when
that test ends. The session root must outlive every test, so it is chosen
from the environment the process started with, never from the one a test
patched in.
"""

import os
from collections.abc import Mapping

__all__ = ["start_environment", "system_tempdir"]

#: The variables :mod:`tempfile` reads, in its order.
_VARIABLES = ("TMPDIR", "TEMP", "TMP")
# tempfile's documented search order, after the environment variables.
_PLATFORM_DIRS = ("/tmp", "/var/tmp", "/usr/tmp")

# The temporary-directory variables as they were when this module was
# imported: what is known where the process's own start cannot be read.
# ``import fixturestmp`` imports it, before a suite runs any test.
_AT_IMPORT = {name: os.environ[name] for name in _VARIABLES if name in os.environ}
_at_start: dict[str, str] | None = None


def start_environment() -> Mapping[str, str]:
    """Return ``TMPDIR``, ``TEMP`` and ``TMP`` as the process started with
    them (those that were set).

    Read from the kernel's copy of the process's initial environment:
    ``/proc/self/environ`` on Linux, psutil elsewhere (macOS, the BSDs).
    Where neither can be read, their values when fixturestmp was imported.
    """
    global _at_start
    if _at_start is None:
        _at_start = _read_start_environment()
    return _at_start


def _read_start_environment() -> dict[str, str]:
    try:
        with open("/proc/self/environ", "rb") as environ:
            entries = environ.read().split(b"\0")
    except OSError:
        return _from_psutil()
    found = {}
    for entry in entries:
        name, equals, value = entry.partition(b"=")
        if equals and name in _ENCODED:
            found[os.fsdecode(name)] = os.fsdecode(value)
    return found


_ENCODED = frozenset(os.fsencode(name) for name in _VARIABLES)


def _from_psutil() -> dict[str, str]:
    try:
        import psutil

        environ = psutil.Process().environ()
    except Exception:  # Not permitted, or not supported here.
        return dict(_AT_IMPORT)
    return {name: environ[name] for name in _VARIABLES if name in environ}


def system_tempdir(environ: Mapping[str, str] | None = None) -> str:
    """Return the system temporary directory, as an absolute path.

    The first usable of ``TMPDIR``, ``TEMP``, ``TMP``, then ``/tmp``,
    ``/var/tmp``, ``/usr/tmp`` and the current directory: the directory
    :func:`tempfile.gettempdir` would choose in a fresh process, never one
    a test patched into the environment or into ``tempfile.tempdir``.

    :param environ: Where to read the variables (default: the environment
        the process started with, :func:`start_environment`).
    """
    if environ is None:
        environ = start_environment()
    candidates = [environ.get(name) for name in _VARIABLES]
    for candidate in [*candidates, *_PLATFORM_DIRS]:
        if candidate and _usable(candidate):
            return os.path.abspath(candidate)
    return os.getcwd()


def _usable(directory: str) -> bool:
    return os.path.isdir(directory) and os.access(directory, os.W_OK | os.X_OK)
