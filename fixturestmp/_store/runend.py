"""The end of a run's session, for whoever owns it: ``fixturestmp run``, or
pytest's controller when fixturestmp serves ``tmp_path``.

The owner waits for the other processes of the run to leave the session,
reads what they recorded, keeps the session when it holds evidence, and
says what was kept, one line a directory.
"""

import time
from pathlib import Path

from fixturestmp._store import owners
from fixturestmp._store.inventory import SessionInfo, read_session
from fixturestmp._store.naming import printable
from fixturestmp._store.pruning import session_number
from fixturestmp._store.sessiondir import SessionDir
from fixturestmp.errors import full_filesystem

__all__ = [
    "holds_evidence",
    "read_run",
    "session_lines",
    "wait_for_users",
    "why_removed",
]


def wait_for_users(session: Path, timeout: float = 30.0) -> None:
    """Wait until no other live process uses ``session``, ``timeout`` at most.

    A runner may finish as soon as its workers close their output, a moment
    before they run their exit handlers, which write their last manifest
    records and withdraw their owner records.
    """
    mine = owners.owner_token()
    deadline = time.monotonic() + timeout
    while any(token != mine for token in owners.live_owners(session)):
        if time.monotonic() > deadline:
            return  # Orphans outliving the run: their session is kept.
        time.sleep(0.01)


def read_run(session: SessionDir) -> SessionInfo:
    """Wait for the run's other processes, then read what they recorded."""
    wait_for_users(session.path)
    return read_session(session.path, session_number(session.path.name))


def holds_evidence(info: SessionInfo) -> bool:
    """Whether the session holds a directory that must not go on a guess.

    A failed test's, one whose test's outcome is unknown, and one no record
    names (its process died mid-test, whatever its exit status).
    """
    return bool(info.unrecorded) or any(
        test["outcome"] in ("failed", "unknown") for test in info.tests
    )


def why_removed(session: SessionDir) -> str | None:
    """Say why the session directory goes at its end; None if it stays."""
    if session.retention_count == 0:
        return (
            "removed when the run ended: retention_count is 0, which keeps no "
            "session; use --retention-count 1 (or more) to keep it"
        )
    if not session.keeps_session():
        return (
            f"removed when the run ended: retention_policy is "
            f"{session.retention_policy}"
        )
    return None


def session_lines(info: SessionInfo, gone: str | None) -> list[str]:
    """Say what the run kept: a count, then one line a kept directory.

    :param gone: Why the session directory went at the run's end, if it did.
    """
    lines = []
    failed = [t for t in info.tests if t["outcome"] == "failed"]
    unknown = [t for t in info.tests if t["outcome"] == "unknown" and t["retained"]]
    if failed or unknown:
        kept = 0 if gone else sum(1 for t in failed if t["retained"])
        lines.append(
            f"fixturestmp: {info.counts_text()} ({kept} kept)"
            + (f", {len(unknown)} kept: outcome unknown" if unknown else "")
            + (f"; their directories were {gone}" if gone else "")
        )
    for test in failed:
        where = printable(test["path"]) if test["retained"] else "(removed)"
        if gone:
            where = "(removed at the end of the run)"
        lines.append(f"FAILED {printable(test['id'])}  {where}")
    for test in [] if gone else unknown:
        lines.append(f"KEPT {printable(test['id'])}  {printable(test['path'])}")
    if unknown and not gone:
        lines.append(
            "fixturestmp: KEPT: outcome unknown (used outside a running test); "
            "to make it known, call mark_failed() when its user fails, use it "
            "in a with statement, or use it from a test"
        )
    if info.unrecorded:
        lines.append(
            f"fixturestmp: the session manifest has no record of "
            f"{len(info.unrecorded)} kept test "
            + ("directory" if len(info.unrecorded) == 1 else "directories")
            + ": its test never recorded an outcome (its process ended "
            "mid-test, or the record could not be written); it is kept, "
            "the test may have failed:"
        )
    for path in info.unrecorded:
        lines.append(f"UNRECORDED  {printable(path)}")
    why = info.unrecorded and full_filesystem(info.path)
    if why:
        lines.append(f"fixturestmp: {why}")
    for leak in sorted(info.leaks, key=lambda r: -float(r.get("size", 0))):
        lines.append(str(leak.get("summary", leak)))
    return lines
