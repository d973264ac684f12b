"""Safe directory names from test names, and test names safe to print."""

import functools
import re

__all__ = ["MAX_NAME_LENGTH", "printable", "safe_name"]

MAX_NAME_LENGTH = 30
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@functools.lru_cache(maxsize=1024)  # Test method names repeat, per test.
def safe_name(name: str | bytes) -> str:
    """Return ``name`` made into a short, portable directory name.

    Everything but ASCII letters, digits and ``_`` becomes ``_`` (so ``/``,
    ``..``, NUL and undecodable bytes cannot escape or break the session), and
    the result is cut to 30 characters. An empty name becomes ``tmp``.
    """
    if isinstance(name, bytes):
        name = name.decode("ascii", "replace")
    return _UNSAFE.sub("_", name)[:MAX_NAME_LENGTH] or "tmp"


def printable(text: str) -> str:
    """Return ``text`` fit for one line of any terminal, in any locale.

    Control characters (newline, escape, NUL...) and undecodable bytes (lone
    surrogates) are shown as Python escapes, so a test id can neither forge
    an output line nor make printing fail.
    """
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], text)
