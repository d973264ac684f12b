"""The :class:`~pathlib.Path` of a directory made in a known parent, cheaply.

``Path(text)`` parses every component of ``text`` again. Inside a test run
(cold caches) that and the first ``str()`` of the result cost about 15 µs
a test on Python 3.11, more than all else fixturestmp adds to
``fixtures.TempDir`` (``python -m benchmarks.bench_parts``). Python 3.11 and
3.12 make the children of a parsed path without parsing it again, for
``Path.iterdir``; :func:`child_path` uses that where it exists and makes a
path equal to ``Path(text)`` in every way (checked once, at import), and
``parent / name`` elsewhere.
"""

import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["child_path"]

#: Python 3.11's paths format their text at the first ``str()``.
_TEXT_MADE_LATE = sys.version_info < (3, 12)


def _by_division(parent: Path, name: str) -> Path:
    return parent / name


def _by_iterdir_constructor(parent: Path, name: str) -> Path:
    child: Path = parent._make_child_relpath(name)  # type: ignore[attr-defined]
    if _TEXT_MADE_LATE:  # The text is known already: give it.
        text = str(parent)
        if not text.endswith("/") and text != ".":  # Not a root, not "."
            child._str = f"{text}/{name}"  # type: ignore[attr-defined]
    return child


def _same_as_path(make: Callable[[Path, str], Path]) -> bool:
    for parent_text in ("/", "//", ".", "run", "/tmp/session-1"):
        parent = Path(parent_text)
        child, expected = make(parent, "test_it0"), parent / "test_it0"
        if (
            type(child) is not type(expected)
            or str(child) != str(expected)
            or child.parts != expected.parts
            or child != expected
            or hash(child) != hash(expected)
            or child.parent != parent
            or child.name != expected.name
        ):
            return False
    return True


def _choose() -> Callable[[Path, str], Path]:
    try:
        if _same_as_path(_by_iterdir_constructor):
            return _by_iterdir_constructor
    except (AttributeError, TypeError):
        pass  # Not this Python's pathlib.
    return _by_division


_make_child = _choose()


def child_path(parent: Path, name: str) -> Path:
    """Return ``parent / name``, without parsing ``parent`` again.

    :param parent: A path.
    :param name: One component: no ``/``, not ``.`` or ``..``, not empty.
    """
    return _make_child(parent, name)
