"""The session manifest: one JSON line per finished test directory.

Every process appends with ``O_APPEND`` and a single ``write`` per record, so
concurrent workers never tear or interleave records. Readers skip a partial
last line (a writer killed mid-write) instead of failing.
"""

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fixturestmp.errors import explain

__all__ = ["MANIFEST_NAME", "ManifestWriter", "read_manifest"]

MANIFEST_NAME = ".manifest.jsonl"
# ASCII-only, so a line is the same length in bytes and characters.
_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"))


class ManifestWriter:
    """Appends records to one session's manifest.

    :ivar path: The manifest file.
    """

    def __init__(self, session: Path) -> None:
        self.path = Path(session) / MANIFEST_NAME
        self._fd = -1
        self._pid = -1

    def append(self, record: dict[str, Any]) -> None:
        """Append ``record`` as one line, in one ``write``."""
        line = (_ENCODER.encode(record) + "\n").encode()
        try:
            if self._pid != os.getpid():
                # Opened lazily, and again in a forked child, which must not
                # share the parent's descriptor state.
                self._fd = os.open(
                    self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC,
                    0o600,
                )  # fmt: skip
                self._pid = os.getpid()
            written = os.write(self._fd, line)
        except OSError as error:
            raise explain(error, self.path, "write the session manifest") from error
        if written != len(line):
            raise OSError(f"short write to {self.path}: {written} of {len(line)}")

    def close(self) -> None:
        """Close the manifest file."""
        if self._fd >= 0 and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = -1
        self._pid = -1


def read_manifest(session: Path) -> Iterator[dict[str, Any]]:
    """Yield the records of ``session``'s manifest, oldest first."""
    try:
        with open(Path(session) / MANIFEST_NAME, "rb") as stream:
            for line in stream:
                if not line.endswith(b"\n"):
                    return
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    yield record
    except FileNotFoundError:
        return
