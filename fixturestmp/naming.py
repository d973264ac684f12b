"""Safe directory names from test names."""

import re

__all__ = ["MAX_NAME_LENGTH", "safe_name"]

MAX_NAME_LENGTH = 30
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def safe_name(name: str | bytes) -> str:
    """Return ``name`` made into a short, portable directory name.

    Everything but ASCII letters, digits and ``_`` becomes ``_`` (so ``/``,
    ``..``, NUL and undecodable bytes cannot escape or break the session), and
    the result is cut to 30 characters. An empty name becomes ``tmp``.
    """
    if isinstance(name, bytes):
        name = name.decode("ascii", "replace")
    return _UNSAFE.sub("_", name)[:MAX_NAME_LENGTH] or "tmp"
