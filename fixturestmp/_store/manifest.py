"""The session manifest: what became of the session's test directories.

Every process appends with ``O_APPEND``, whole lines in a single ``write``, so
concurrent workers never tear or interleave records. A directory that stays
(retained) or belongs to a failed test gets a JSON line of its own, written at
once, as do leaks. Directories of passed and skipped tests that were removed
are only counted: their ids are in the test runner's results, the directories
are gone, and a line per test would be a measurable share of a test's cost.
The count is written as a ``{"kind": "removed", "count": N, "pid": P}`` line
with the next write, every :data:`COUNT_BATCH` tests and at the session's end;
a process killed with SIGKILL loses at most that many from the count.

Readers take nothing on trust: a line that is not a whole JSON object, or a
record whose fields have the wrong types (a test ``id`` that is a number),
is skipped and said, naming the file and the line, so that one damaged line
costs one record, never the whole listing.
"""

import contextlib
import json
import os
import warnings
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fixturestmp._process import forks
from fixturestmp.errors import explain
from fixturestmp.policy import OUTCOMES

__all__ = [
    "BATCH",
    "COUNT_BATCH",
    "MANIFEST_NAME",
    "ManifestWarning",
    "ManifestWriter",
    "read_manifest",
]

MANIFEST_NAME = ".manifest.jsonl"
# ASCII-only, so a line is the same length in bytes and characters.
_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"))
#: Records appended as not urgent are written by this many at a time.
BATCH = 64
#: Removed directories are counted by this many before the count is written.
COUNT_BATCH = 256


class ManifestWriter:
    """Appends records to one session's manifest.

    :ivar path: The manifest file.
    """

    def __init__(self, session: Path, session_fd: int | None = None) -> None:
        """Write to the manifest of ``session``; nothing is opened before use.

        :param session_fd: A descriptor open on ``session``, kept open by the
            caller: the manifest is opened relative to it.
        """
        self.path = Path(session) / MANIFEST_NAME
        self._session_fd = session_fd
        self._fd = -1
        self._batch: list[str] = []
        self._removed = 0
        _writers.add(self)

    def append(self, record: dict[str, Any], urgent: bool = True) -> None:
        """Append ``record`` as one line.

        :param urgent: Write it now (with any batched lines); otherwise it
            may wait for the batch to fill or for :meth:`flush`.
        """
        self.append_line(_ENCODER.encode(record) + "\n", urgent)

    def append_line(self, line: str, urgent: bool = True) -> None:
        """Append ``line``, one ASCII JSON object ending in a newline.

        :param urgent: As for :meth:`append`.
        """
        self._batch.append(line)
        if urgent or len(self._batch) >= BATCH:
            self.flush()

    def count_removed(self) -> None:
        """Count one removed directory of a passed or skipped test."""
        self._removed += 1
        if self._removed >= COUNT_BATCH:
            self.flush()

    def flush(self) -> None:
        """Write the batched lines and the count, in one ``write``."""
        if self._removed:
            count = {"kind": "removed", "count": self._removed, "pid": os.getpid()}
            self._batch.append(_ENCODER.encode(count) + "\n")
            self._removed = 0
        if not self._batch:
            return
        data = "".join(self._batch).encode()
        self._batch = []
        try:
            if self._fd < 0:  # Opened lazily, and again in a forked child.
                self._fd = os.open(
                    self.path if self._session_fd is None else MANIFEST_NAME,
                    os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
                    | os.O_NOFOLLOW, 0o600, dir_fd=self._session_fd,
                )  # fmt: skip
            written = os.write(self._fd, data)
        except OSError as error:
            raise explain(error, self.path, "write the session manifest") from error
        if written != len(data):
            raise OSError(f"short write to {self.path}: {written} of {len(data)}")

    def close(self) -> None:
        """Write what is batched and close the manifest file."""
        try:
            self.flush()
        finally:
            if self._fd >= 0:
                os.close(self._fd)
            self._fd = -1

    def _forget_parent(self) -> None:
        """In a forked child: drop the parent's batch and count, which the
        parent writes, and its descriptor (the child opens its own)."""
        self._batch = []
        self._removed = 0
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)  # The child's copy only.
            self._fd = -1


_writers: "weakref.WeakSet[ManifestWriter]" = weakref.WeakSet()


@forks.after_fork_in_child
def _forget_parents_writes() -> None:
    for writer in list(_writers):
        writer._forget_parent()


class ManifestWarning(UserWarning):
    """A manifest line could not be read and was skipped."""


# The type each field must have where a reader uses it, by record kind (a
# record without ``kind`` is a test's); other fields and kinds are not read.
_TEXT, _WHOLE, _FLAG = (str,), (int,), (bool,)
_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "test": {"id": _TEXT, "path": _TEXT, "outcome": _TEXT, "retained": _FLAG},
    "leak": {"check": _TEXT, "id": _TEXT, "size": _WHOLE, "summary": _TEXT,
             "pid": _WHOLE},
    "memory": {"id": _TEXT, "before": _WHOLE, "after": _WHOLE, "seq": _WHOLE,
               "pid": _WHOLE},
    "removed": {"count": _WHOLE, "pid": _WHOLE},
    "checked": {"count": _WHOLE},
    "shared": {"path": _TEXT, "pid": _WHOLE},
}  # fmt: skip
_NAMES = {str: "text", int: "a whole number", bool: "true or false"}


def _wrong_field(record: dict[str, Any]) -> str | None:
    """Return why ``record`` cannot be used, or None if it can."""
    kind = record.get("kind", "test")
    if not isinstance(kind, str):
        return f"its kind is {kind!r}, not text"
    for field, types in _FIELDS.get(kind, {}).items():
        if field not in record:
            continue
        value = record[field]
        # JSON true is a Python int too: a count or a size is never one.
        if not isinstance(value, types) or (
            isinstance(value, bool) and bool not in types
        ):
            return f"its {field} is {value!r}, not {_NAMES[types[0]]}"
    if kind == "test" and record.get("outcome", "passed") not in OUTCOMES:
        allowed = ", ".join(OUTCOMES)
        return f"its outcome is {record['outcome']!r}, not one of {allowed}"
    return None


def read_manifest(
    session: Path, problems: list[str] | None = None
) -> Iterator[dict[str, Any]]:
    """Yield the usable records of ``session``'s manifest, oldest first.

    What cannot be used is skipped and said in one line naming the file
    (and the line): a line that is not a JSON object, a record with a field
    of the wrong type for its readers (a test ``id`` that is a number), a
    last line without its newline, a manifest that cannot be read.

    :param problems: Where to add those lines; without it each is a
        :class:`ManifestWarning`.
    """
    path = Path(session) / MANIFEST_NAME

    def skip(why: str) -> None:
        said = f"{path}: {why}"
        if problems is None:
            warnings.warn(f"fixturestmp: {said}", ManifestWarning, stacklevel=3)
        else:
            problems.append(said)

    try:
        with open(path, "rb") as stream:
            for number, line in enumerate(stream, 1):
                if not line.endswith(b"\n"):
                    skip(
                        f"line {number} skipped: cut short ({len(line)} bytes, "
                        f"no newline)"
                    )
                    return
                try:
                    record = json.loads(line)
                except ValueError:
                    if line.strip():
                        skip(f"line {number} skipped: not JSON")
                    continue
                if not isinstance(record, dict):
                    skip(f"line {number} skipped: not a JSON object")
                    continue
                wrong = _wrong_field(record)
                if wrong is not None:
                    skip(f"line {number} skipped: {wrong}")
                    continue
                yield record
    except FileNotFoundError:
        return
    except OSError as error:
        skip(f"cannot be read ({error.strerror or error}); its records are missing")
