"""What ``fixturestmp report`` shows, as plain data (``report --json``).

Built from the session as :func:`~fixturestmp._store.inventory.read_session` reads
it, plus a look into each failed test's kept directory (through
:func:`~fixturestmp._store.treewalk.walk_tree`, so never through a symlink). Every
part that grows with the session is capped, so that a session of 10,000
tests still makes a small page: passed tests are only counted, failed ones
get a listing for the first :data:`DETAILED_FAILURES`, and the memory chart
marks the :data:`TOP_GROWERS` tests that grew resident memory most.
"""

import heapq
import os
import time
from typing import Any

from fixturestmp._store.naming import printable
from fixturestmp._store.selection import Selection
from fixturestmp._store.treewalk import TreeEntry, open_file, walk_tree

__all__ = [
    "DETAILED_FAILURES",
    "LISTING_LIMIT",
    "MIN_GROWTH",
    "PREVIEW_FILES",
    "PREVIEW_LINES",
    "PREVIEW_MAX_SIZE",
    "TOP_GROWERS",
    "build_report",
    "memory_series",
]

#: Failed tests shown with their listing and file previews; others by name.
DETAILED_FAILURES = 100
#: Entries listed per kept directory.
LISTING_LIMIT = 50
#: Text files previewed per kept directory, and lines per preview.
PREVIEW_FILES = 5
PREVIEW_LINES = 20
#: Only files this small are previewed.
PREVIEW_MAX_SIZE = 64 * 1024
#: Tests marked on the memory chart: at most this many ...
TOP_GROWERS = 10
#: ... of those that grew RSS by this many bytes at least (0.1MB, the
#: precision of the report's figures).
MIN_GROWTH = 100_000
_LINE_CHARS = 200
_BAD_OUTCOMES = ("failed", "unknown")


def build_report(selection: Selection) -> dict[str, Any]:
    """Return the report of the selected session as JSON-ready data.

    Keys: ``session`` (``path``, ``number``, ``live``), ``generated``
    (Unix time), ``summary`` (counts), ``failed`` (per failed or unknown
    test: ``id``, ``outcome``, ``path``, ``retained``, and for the first
    :data:`DETAILED_FAILURES`, ``listing``, ``listing_more`` and
    ``previews``), ``leaks`` (the leak records) and ``memory`` (None if no
    test was measured; else see :func:`memory_series`).
    """
    info = selection.info
    failed = [
        test
        for test in info.tests
        if test["outcome"] in _BAD_OUTCOMES and selection.wanted(test["id"])
    ]
    failed.sort(key=lambda test: test["id"])
    leaks = [leak for leak in info.leaks if selection.wanted(str(leak.get("id", "")))]
    leaks.sort(key=lambda leak: (str(leak.get("check")), -_number(leak.get("size"))))
    memory = memory_series(info.memory) if info.memory else None
    return {
        "session": {"path": str(info.path), "number": info.number, "live": info.live},
        "generated": round(time.time(), 3),
        "summary": {
            "directories": info.directory_count(),
            "failed": sum(1 for t in info.tests if t["outcome"] == "failed"),
            "unknown": sum(1 for t in info.tests if t["outcome"] == "unknown"),
            "kept": sum(1 for t in info.tests if t["retained"]),
            "removed": info.removed,
            "leaks": len(info.leaks),
            "measured": len(info.memory),
        },
        "failed": [
            _failed_test(test, detailed=number < DETAILED_FAILURES)
            for number, test in enumerate(failed)
        ],
        "leaks": [
            {key: leak.get(key) for key in ("check", "id", "size", "summary", "pid")}
            for leak in leaks
        ],
        "memory": memory,
    }


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else 0.0


def _failed_test(test: dict[str, Any], detailed: bool) -> dict[str, Any]:
    shown = {key: test[key] for key in ("id", "outcome", "path", "retained")}
    if not detailed:
        return shown
    listing: list[dict[str, Any]] = []
    previews: list[dict[str, Any]] = []
    more = 0
    exists = test["retained"] and os.path.lexists(test["path"])
    if exists:
        for entry in walk_tree(test["path"]):
            if not entry.rel:
                if entry.kind != "dir":
                    listing.append(_listed(entry))
                continue
            if len(listing) >= LISTING_LIMIT:
                more += 1
                continue
            listing.append(_listed(entry))
            if len(previews) < PREVIEW_FILES and _previewable(entry):
                preview = _preview(entry)
                if preview is not None:
                    previews.append(preview)
    shown.update(exists=exists, listing=listing, listing_more=more, previews=previews)
    return shown


def _listed(entry: TreeEntry) -> dict[str, Any]:
    # File names may be any bytes: shown as escapes, so the JSON is valid
    # UTF-8 and no name can inject terminal control sequences.
    listed: dict[str, Any] = {"path": printable(entry.rel), "kind": entry.kind}
    if entry.kind == "file":
        listed["size"] = entry.size
    elif entry.kind == "link":
        listed["target"] = printable(entry.target)
    elif entry.kind == "error":
        listed["error"] = entry.error
    return listed


def _previewable(entry: TreeEntry) -> bool:
    return entry.kind == "file" and 0 < entry.size <= PREVIEW_MAX_SIZE


def _preview(entry: TreeEntry) -> dict[str, Any] | None:
    try:
        fd = open_file(entry)
    except OSError:
        return None
    try:
        data = os.read(fd, PREVIEW_MAX_SIZE)
    except OSError:
        return None
    finally:
        os.close(fd)
    if b"\0" in data[:4096]:
        return None  # binary
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text.splitlines()
    return {
        "path": printable(entry.rel),
        "lines": [line[:_LINE_CHARS] for line in lines[:PREVIEW_LINES]],
        "more": max(0, len(lines) - PREVIEW_LINES),
    }


def memory_series(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the memory records as one series per process, and the top growers.

    :return: ``processes``: per pid, ``pid`` and ``tests`` (each ``id``,
        ``seq``, ``before``, ``after``) in the order the process ran them
        (by ``seq``, else as written); ``top``: the :data:`TOP_GROWERS`
        tests that grew RSS most, by :data:`MIN_GROWTH` at least (``id``,
        ``pid``, ``seq``, ``before``, ``after``, ``growth``), largest first;
        ``peak``: the highest RSS.
    """
    by_pid: dict[int, list[dict[str, Any]]] = {}
    for order, record in enumerate(records):
        before, after = record.get("before"), record.get("after")
        if not isinstance(before, int) or not isinstance(after, int):
            continue
        seq = record.get("seq")
        pid = record.get("pid")
        by_pid.setdefault(pid if isinstance(pid, int) else -1, []).append({
            "id": str(record.get("id", "")),
            "seq": seq if isinstance(seq, int) else order,
            "before": before,
            "after": after,
        })  # fmt: skip
    processes: list[dict[str, Any]] = []
    for pid in sorted(by_pid):
        tests = sorted(by_pid[pid], key=lambda test: test["seq"])
        processes.append({"pid": pid, "tests": tests})
    every = ((t["after"] - t["before"], p["pid"], t) for p in processes
             for t in p["tests"])  # fmt: skip
    growers = heapq.nlargest(TOP_GROWERS, every, key=lambda item: item[0])
    top = [
        {"id": test["id"], "pid": pid, "seq": test["seq"], "before": test["before"],
         "after": test["after"], "growth": growth}
        for growth, pid, test in growers
        if growth >= MIN_GROWTH
    ]  # fmt: skip
    peak = max((t["after"] for p in processes for t in p["tests"]), default=0)
    return {"processes": processes, "top": top, "peak": peak}
