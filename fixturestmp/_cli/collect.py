"""``fixturestmp collect``: what a session kept, as CI artifacts.

A build farm's machine is gone minutes after the job; its artifacts stay.
This copies the kept directories of a session's tests (failed ones first),
its manifest and its leak records into a new directory or one ``.tar.gz``,
for the CI system to upload. It reads kept trees with
:func:`~fixturestmp._store.treewalk.walk_tree`, so a symlink is recorded, never
followed out of the tree; it stops adding files at ``max_size`` bytes; and
what it skipped (over the size, unreadable, not a regular file) is listed,
with the reason, in ``INDEX.txt`` and ``index.json`` beside the copies.
"""

import json
import os
import posixpath
from pathlib import Path
from typing import Any

from fixturestmp._cli.bundle import ArchiveBundle, Bundle, DirectoryBundle
from fixturestmp._store.manifest import MANIFEST_NAME
from fixturestmp._store.naming import printable
from fixturestmp._store.selection import Selection
from fixturestmp._store.treewalk import TreeEntry, open_file, walk_tree
from fixturestmp.errors import ConfigError

__all__ = [
    "ARCHIVE_SUFFIXES",
    "DEFAULT_MAX_SIZE",
    "INDEX_LIMIT",
    "UNRECORDED",
    "Collection",
    "collect",
    "counted",
    "kept_tests",
]

#: ``--max-size`` unless given: 100 MiB of file contents.
DEFAULT_MAX_SIZE = 100 * 1024 * 1024
#: The index lists this many skipped entries and links; then it counts.
INDEX_LIMIT = 1000
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
#: The outcome of a kept directory that no manifest record names.
UNRECORDED = "unrecorded"
_FAILED_FIRST = {"failed": 0, "unknown": 1}


class Collection:
    """What :func:`collect` wrote.

    :ivar path: The new directory or archive.
    :ivar session: The session collected.
    :ivar tests: Per kept test: ``id``, ``outcome``, ``path`` (its kept
        directory), ``to`` (where it is in the bundle), ``files``, ``bytes``.
    :ivar skipped: ``{"path", "reason"}`` per entry not copied.
    :ivar links: ``{"path", "target", "copied"}`` per symlink found.
    :ivar skipped_more: Skipped entries and links beyond :data:`INDEX_LIMIT`.
    :ivar size: Bytes of file contents copied.
    :ivar max_size: The limit on ``size``.
    """

    def __init__(self, path: Path, session: Path, max_size: int) -> None:
        self.path = path
        self.session = session
        self.max_size = max_size
        self.tests: list[dict[str, Any]] = []
        self.skipped: list[dict[str, str]] = []
        self.links: list[dict[str, Any]] = []
        self.skipped_more = 0
        self.size = 0
        self.copied = 0

    @property
    def files(self) -> int:
        """How many files were copied (the manifest and kept directories')."""
        return self.copied

    def skip(self, path: str, reason: str) -> None:
        """Note that ``path`` was not copied, and why."""
        if len(self.skipped) < INDEX_LIMIT:
            self.skipped.append({"path": path, "reason": reason})
        else:
            self.skipped_more += 1

    def as_json(self) -> dict[str, Any]:
        """Return the contents of ``index.json``."""
        return {
            "session": str(self.session),
            "max_size": self.max_size,
            "size": self.size,
            "tests": self.tests,
            "skipped": self.skipped,
            "links": self.links,
            "skipped_more": self.skipped_more,
        }

    def index_text(self) -> str:
        """Return the contents of ``INDEX.txt``.

        Names are shown with :func:`~fixturestmp._store.naming.printable`: a file
        name cannot put control sequences on the terminal of whoever reads
        the index.
        """
        return "".join(f"{printable(line)}\n" for line in self._index_lines())

    def _index_lines(self) -> list[str]:
        lines = [
            f"fixturestmp collect of {self.session}",
            f"{counted(self.files, 'file')}, {self.size} bytes copied "
            f"(--max-size {self.max_size} bytes)",
            "",
            "Kept directories (manifest.jsonl has every record; leaks.txt the leaks):",
        ]
        for test in self.tests:
            shown = test["id"] or "(no record of its test in the manifest)"
            lines.append(f"  {test['outcome']:<7} {shown}")
            files = counted(test["files"], "file")
            lines.append(f"          {test['path']} -> {test['to']} "
                         f"({files}, {test['bytes']} bytes)")  # fmt: skip
        if self.links:
            lines += ["", "Symlinks (never followed; copied only if they point "
                      "inside their tree):"]  # fmt: skip
            for link in self.links:
                fate = "copied as a link" if link["copied"] else "not copied"
                lines.append(f"  {link['path']} -> {link['target']}  ({fate})")
        if self.skipped:
            lines += ["", "Skipped:"]
            lines += [f"  {s['path']}: {s['reason']}" for s in self.skipped]
        if self.skipped_more:
            lines.append(f"  ... and {self.skipped_more} more entries")
        return lines


def counted(number: int, noun: str) -> str:
    """Return ``1 file``, ``2 files``."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def kept_tests(selection: Selection) -> list[dict[str, Any]]:
    """Return the selected tests whose directory was kept, failed ones first.

    Without a pattern, the session's test directories that no record names
    come last, as outcome ``unrecorded`` with an empty id: a test that never
    recorded its outcome, or a manifest that lost it, may hide a failure.
    """
    kept = [
        test
        for test in selection.info.tests
        if test["retained"] and selection.wanted(test["id"])
    ]
    kept.sort(key=lambda t: (_FAILED_FIRST.get(t["outcome"], 2), t["id"], t["path"]))
    if selection.pattern is None:
        kept += [
            {"id": "", "outcome": UNRECORDED, "path": path, "retained": True}
            for path in selection.info.unrecorded
        ]
    return kept


def check_dest(dest: Path, archive: bool, top: str, session: Path) -> None:
    """Refuse a destination that would overwrite something, or copy into
    the session being copied (which would grow as it is read).

    :raises ConfigError: It would; the message names DEST and what to do.
    """
    if Path(os.path.realpath(dest)).is_relative_to(os.path.realpath(session)):
        raise ConfigError(
            f"DEST {dest} is inside the session {session} it would copy; "
            f"choose a directory outside it"
        )
    if archive:
        if not dest.name.endswith(ARCHIVE_SUFFIXES):
            raise ConfigError(
                f"DEST {dest}: with --archive, DEST is the archive to write and "
                f"must end in .tar.gz or .tgz, e.g. artifacts/fixturestmp.tar.gz"
            )
        if os.path.lexists(dest):
            raise ConfigError(
                f"DEST {dest} already exists; remove it or name a new archive"
            )
        if not dest.parent.is_dir():
            raise ConfigError(
                f"DEST {dest}: the directory {dest.parent} does not exist; "
                f"create it first"
            )
        return
    if os.path.lexists(dest) and not dest.is_dir():
        raise ConfigError(
            f"DEST {dest} exists and is not a directory; name a directory to "
            f"collect into (or use --archive to write a .tar.gz)"
        )
    if os.path.lexists(dest / top):
        raise ConfigError(
            f"DEST {dest} already holds {top}; remove {dest / top} or choose "
            f"another DEST"
        )


def collect(
    selection: Selection,
    dest: Path,
    *,
    max_size: int = DEFAULT_MAX_SIZE,
    archive: bool = False,
) -> Collection | None:
    """Copy what the selected session kept into ``dest``.

    Without ``archive``, into a new directory ``dest/<session name>``;
    with it, into the new archive ``dest`` (members below ``<session name>/``).

    :param max_size: Bytes of file contents to copy at most; a file that
        does not fit is skipped (and listed), smaller ones after it still go.
    :return: What was written; None if the session kept nothing and leaked
        nothing, in which case nothing is written.
    :raises ConfigError: ``dest`` would overwrite something.
    """
    info = selection.info
    tests = kept_tests(selection)
    leaks = [leak for leak in info.leaks if selection.wanted(str(leak.get("id", "")))]
    tests = [test for test in tests if os.path.lexists(test["path"])]
    if not tests and not leaks:
        return None
    top = info.path.name
    check_dest(dest, archive, top, info.path)
    bundle: Bundle = ArchiveBundle(dest, top) if archive else DirectoryBundle(dest, top)
    result = Collection(dest if archive else dest / top, info.path, max_size)
    complete = False
    try:
        bundle.add_dir("")
        _copy_manifest(bundle, result)
        if leaks:
            bundle.add_text("leaks.txt", "".join(
                f"{leak.get('summary', json.dumps(leak))}\n" for leak in leaks
            ))  # fmt: skip
        if tests:
            bundle.add_dir("tests")
        for test in tests:
            _copy_test(bundle, result, test)
        for rel in bundle.shortened:
            result.skip(rel, "changed while it was copied: shrank, padded with NULs")
        bundle.add_text("index.json", json.dumps(result.as_json(), indent=2) + "\n")
        bundle.add_text("INDEX.txt", result.index_text())
        complete = True
    finally:
        bundle.close(complete)
    return result


def _copy_manifest(bundle: Bundle, result: Collection) -> None:
    manifest = result.session / MANIFEST_NAME
    if not os.path.lexists(manifest):
        return
    for entry in walk_tree(manifest):
        if entry.kind == "file":
            _copy_file(bundle, result, entry, "manifest.jsonl", str(manifest))
        else:
            result.skip(str(manifest), _reason(entry))


def _copy_test(bundle: Bundle, result: Collection, test: dict[str, Any]) -> None:
    kept = Path(test["path"])
    try:
        inside = kept.relative_to(result.session).as_posix()
    except ValueError:
        result.skip(str(kept), "not inside the session directory; not collected")
        return
    to = f"tests/{inside}"
    summary = {"id": test["id"], "outcome": test["outcome"], "path": str(kept),
               "to": to, "files": 0, "bytes": 0}  # fmt: skip
    result.tests.append(summary)
    parents: set[str] = set()
    for entry in walk_tree(kept):
        rel = f"{to}/{entry.rel}" if entry.rel else to
        shown = f"{kept}/{entry.rel}" if entry.rel else str(kept)
        parent = posixpath.dirname(rel)
        if parent not in parents and parent != "tests":
            # Inside a subtree below the kept directory: make its parents.
            _make_parents(bundle, parents, parent, to)
        if entry.kind == "dir":
            bundle.add_dir(rel, entry.mode)
            parents.add(rel)
        elif entry.kind == "file":
            copied = _copy_file(bundle, result, entry, rel, shown)
            if copied is not None:
                summary["files"] += 1
                summary["bytes"] += copied
        elif entry.kind == "link":
            _record_link(bundle, result, entry, rel, shown)
        else:
            result.skip(shown, _reason(entry))


def _make_parents(bundle: Bundle, parents: set[str], parent: str, to: str) -> None:
    missing = []
    while parent not in parents and parent not in ("", "tests"):
        missing.append(parent)
        parent = posixpath.dirname(parent)
    for path in reversed(missing):
        bundle.add_dir(path)
        parents.add(path)


def _copy_file(
    bundle: Bundle, result: Collection, entry: TreeEntry, rel: str, shown: str
) -> int | None:
    left = result.max_size - result.size
    if entry.size > left:
        result.skip(
            shown,
            f"over --max-size: {entry.size} bytes, {max(left, 0)} of "
            f"{result.max_size} left; rerun with a larger --max-size to get it",
        )
        return None
    try:
        fd = open_file(entry)
    except OSError as error:
        result.skip(shown, f"unreadable: {error.strerror or error}")
        return None
    try:
        copied = bundle.add_file(rel, fd, entry.size, entry.mode, entry.mtime)
    except OSError as error:
        # EIO and friends while reading: note it, the rest still goes.
        result.skip(shown, f"unreadable: {error.strerror or error}")
        return None
    finally:
        os.close(fd)
    result.size += copied
    result.copied += 1
    return copied


def _record_link(
    bundle: Bundle, result: Collection, entry: TreeEntry, rel: str, shown: str
) -> None:
    # A relative target that stays below the kept directory is safe to
    # recreate; anything else would point out of the copy.
    base = posixpath.dirname(entry.rel)
    resolved = posixpath.normpath(posixpath.join(base, entry.target))
    inside = (
        bool(entry.rel)
        and not posixpath.isabs(entry.target)
        and resolved != ".."
        and not resolved.startswith("../")
    )
    if inside:
        bundle.add_link(rel, entry.target)
    if len(result.links) < INDEX_LIMIT:
        result.links.append({"path": shown, "target": entry.target, "copied": inside})
    else:
        result.skipped_more += 1


def _reason(entry: TreeEntry) -> str:
    if entry.kind == "error":
        return f"unreadable: {entry.error}"
    if entry.kind == "other":
        return "not a regular file (FIFO, socket or device); not copied"
    return f"a {entry.kind}; not copied"
