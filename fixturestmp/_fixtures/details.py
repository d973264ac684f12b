"""The ``tmp-path`` and ``tmp-path-listing`` details."""

import os
from collections.abc import Callable
from pathlib import Path

from testtools.content import Content
from testtools.content_type import UTF8_TEXT

__all__ = ["LISTING_MAX_BYTES", "LISTING_MAX_ENTRIES", "listing", "text_detail"]

LISTING_MAX_ENTRIES = 200
# Well under subunit's 4 MiB packet limit, and short enough to read.
LISTING_MAX_BYTES = 32 * 1024


def text_detail(produce: Callable[[], str]) -> Content:
    """Return a text detail whose text is produced when it is read."""
    return Content(UTF8_TEXT, lambda: [produce().encode("utf-8", "replace")])


def listing(top: Path) -> str:
    """Return the files below ``top`` with their sizes, capped.

    At most :data:`LISTING_MAX_ENTRIES` lines or :data:`LISTING_MAX_BYTES`;
    the rest is summed up in a last line. Symlinks are shown, not followed.
    """
    lines: list[str] = []
    size = 0
    hidden = hidden_bytes = 0
    for directory, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for name in sorted(filenames) + [d for d in dirnames if _is_link(directory, d)]:
            path = os.path.join(directory, name)
            try:
                info = os.lstat(path)
            except OSError:
                continue
            relative = os.path.relpath(path, top)
            if os.path.islink(path):
                line = f"{relative} -> {os.readlink(path)}"
            else:
                line = f"{relative}  ({info.st_size} bytes)"
            full = len(lines) >= LISTING_MAX_ENTRIES
            if full or size + len(line) > LISTING_MAX_BYTES:
                hidden += 1
                hidden_bytes += info.st_size
                continue
            lines.append(line)
            size += len(line) + 1
    if not lines and not hidden:
        return "(empty)"
    if hidden:
        lines.append(f"... and {hidden} more entries ({hidden_bytes} bytes)")
    return "\n".join(lines)


def _is_link(directory: str, name: str) -> bool:
    return os.path.islink(os.path.join(directory, name))
