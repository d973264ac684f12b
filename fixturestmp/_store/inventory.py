"""What sessions exist, who uses them, and which test directories they keep."""

import os
from pathlib import Path
from typing import Any

from fixturestmp._config import resolve
from fixturestmp._process.systemtmp import system_tempdir
from fixturestmp._store import owners
from fixturestmp._store.basedir import BaseDir, open_base_dir
from fixturestmp._store.manifest import read_manifest
from fixturestmp._store.newsession import MARKER_NAME
from fixturestmp._store.pruning import scan_sessions

__all__ = ["SessionInfo", "open_base", "read_sessions"]


class SessionInfo:
    """One session as found on disk.

    :ivar path: The session directory.
    :ivar number: Its number (-1 for an explicit basetemp).
    :ivar live: Whether a live process uses it.
    :ivar tests: One dict per retained directory or failed test: ``id``,
        ``path``, ``outcome`` (``passed``, ``failed``, ``skipped``, ``unknown``),
        ``retained``.
    :ivar removed: How many directories of passed or skipped tests were
        removed (counted, not listed).
    :ivar leaks: The leak records of the session.
    :ivar checked: How many tests ran with per-test leak checks.
    :ivar memory: The ``memory`` records (a test's RSS before and after it),
        in the order written.
    :ivar unrecorded: Test directories on disk that no record names: their
        test never recorded an outcome (its process ended mid-test), or the
        manifest lost their records; kept, the test may have failed.
    :ivar problems: What could not be read in the manifest, one line each
        (naming the file and the line).
    """

    def __init__(self, path: Path, number: int, live: bool) -> None:
        self.path = path
        self.number = number
        self.live = live
        self.tests: list[dict[str, Any]] = []
        self.removed = 0
        self.leaks: list[dict[str, Any]] = []
        self.checked = 0
        self.memory: list[dict[str, Any]] = []
        self.unrecorded: list[str] = []
        self.problems: list[str] = []

    def directory_count(self) -> int:
        """Return how many test directories the session has had."""
        return len(self.tests) + len(self.unrecorded) + self.removed

    def counts_text(self) -> str:
        """Return ``N temporary directories, F of failed tests``: directories
        are counted, not tests (a test may use several, and a removed one is
        only counted)."""
        count = self.directory_count()
        failed = sum(1 for test in self.tests if test["outcome"] == "failed")
        noun = "directory" if count == 1 else "directories"
        return f"{count} temporary {noun}, {failed} of failed tests"

    def as_json(self) -> dict[str, Any]:
        """Return the JSON form ``fixturestmp ls --json`` prints.

        Its ``tests`` list the :attr:`unrecorded` directories last, kept
        with outcome ``unknown``, an empty ``id`` and ``unrecorded`` true.
        """
        unrecorded = [
            {
                "id": "",
                "path": path,
                "outcome": "unknown",
                "retained": True,
                "unrecorded": True,
            }
            for path in self.unrecorded
        ]
        return {
            "path": str(self.path),
            "number": self.number,
            "live": self.live,
            "tests": self.tests + unrecorded,
            "removed": self.removed,
            "leaks": self.leaks,
            "checked": self.checked,
        }


def open_base(root: str | os.PathLike[str] | None = None) -> BaseDir | None:
    """Open the base directory under ``root`` (configured); None if missing.

    In the default root, an unsafe base directory is worked around as
    sessions do (see :func:`~fixturestmp._store.basedir.open_base_dir`).
    """
    resolved = resolve("root", root)
    fallback = resolved is None
    if resolved is None:
        resolved = Path(system_tempdir())
    try:
        return open_base_dir(resolved, create=False, fallback=fallback)
    except FileNotFoundError:
        return None


def read_session(path: Path, number: int) -> SessionInfo:
    """Read one session's owners, manifest and test directories."""
    info = SessionInfo(path, number, owners.is_live(path))
    by_path: dict[str, dict[str, Any]] = {}
    shared: set[str] = set()
    for record in read_manifest(path, info.problems):
        kind = record.get("kind", "test")
        if kind == "shared":
            shared.add(record.get("path", ""))
        elif kind == "leak":
            info.leaks.append(record)
        elif kind == "memory":
            info.memory.append(record)
        elif kind in ("removed", "checked"):
            setattr(info, kind, getattr(info, kind) + record.get("count", 0))
        elif kind == "test":
            by_path[record.get("path", "")] = {
                "id": record.get("id", ""),
                "path": record.get("path", ""),
                "outcome": record.get("outcome", "passed"),
                "retained": bool(record.get("retained")),
            }
    info.tests = list(by_path.values())
    info.unrecorded = _unrecorded(path, set(by_path) | shared)
    return info


def _unrecorded(session: Path, known: set[str]) -> list[str]:
    """Return the test directories in ``session`` whose path is not in
    ``known``, sorted; fixturestmp's own entries start with a dot."""
    try:
        with os.scandir(session) as entries:
            found = [
                entry.path
                for entry in entries
                if not entry.name.startswith(".")
                and entry.is_dir(follow_symlinks=False)
            ]
    except OSError:
        return []  # Removed meanwhile, or unreadable: nothing to say it holds.
    return sorted(name for name in found if name not in known and _evidence(name))


def _evidence(path: str) -> bool:
    """Whether ``path`` may be a test's directory: not a session inside the
    session (a pytest a test ran, with a ``--basetemp`` of its own)."""
    return not os.path.lexists(os.path.join(path, MARKER_NAME))


def read_sessions(
    root: str | os.PathLike[str] | None = None,
    foreign: list[Path] | None = None,
) -> list[SessionInfo]:
    """Return the sessions under ``root``, newest first.

    :param foreign: Where to add the ``run-<N>`` directories that are no
        session (no marker: fixturestmp did not make them), newest first.
    """
    base = open_base(root)
    if base is None:
        return []
    try:
        sessions, others = scan_sessions(base)
    finally:
        base.close()
    if foreign is not None:
        foreign.extend(others[n] for n in sorted(others, reverse=True))
    return [read_session(sessions[n], n) for n in sorted(sessions, reverse=True)]
