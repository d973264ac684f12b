"""Benchmark 3: session end and pruning with 500 old sessions on disk.

Each old session is what a real one leaves: marker, manifest, an owner record
of a dead process, and one kept test directory with a file. Measured: the
time to find what to prune (listing, liveness of every candidate), and the
whole prune, reported per session deleted.
"""

import os
import sys
import time
from pathlib import Path

from benchmarks.common import isolated_root, report

SESSIONS = 500


def populate(base: Path) -> None:
    """Create SESSIONS dead sessions in ``base``."""
    base.mkdir(mode=0o700, exist_ok=True)
    for number in range(SESSIONS):
        session = base / f"run-{number}"
        (session / ".owners").mkdir(parents=True)
        (session / ".owners" / "999999-12.00").touch()
        (session / ".fixturestmp").touch()
        (session / ".manifest.jsonl").write_text('{"kind": "test"}\n')
        (session / "test_x0").mkdir()
        (session / "test_x0" / "evidence").write_text("x")


def main(rounds: int = 5) -> list[str]:
    from fixturestmp._store.basedir import BaseDir
    from fixturestmp._store.pruning import prune, select_victims

    find_times, prune_times, end_times = [], [], []
    for _ in range(rounds):
        root = isolated_root()
        base = BaseDir(root)
        populate(base.path)
        start = time.perf_counter()
        with base.locked():
            victims, _ = select_victims(base, 3)
        find_times.append(time.perf_counter() - start)
        assert len(victims) == SESSIONS - 3
        start = time.perf_counter()
        removed = prune(base, 3)
        prune_times.append((time.perf_counter() - start) / len(removed))
        base.close()
        # A whole session end (policy failed, nothing failed) on top of
        # what is left, as a user's run pays it.
        import fixturestmp

        start = time.perf_counter()
        with fixturestmp.SessionTempFixture(root=root) as session:
            with fixturestmp.TempDirFixture(session=session):
                pass
        end_times.append(time.perf_counter() - start)
        os.system(f"rm -rf {root}")
    find_times.sort()
    prune_times.sort()
    end_times.sort()
    middle = rounds // 2
    return report(
        f"3. pruning with {SESSIONS} old sessions",
        [
            ("find what to prune", f"{find_times[middle] * 1e3:.1f} ms",
             "goal <= 50 ms"),
            ("prune, per session deleted", f"{prune_times[middle] * 1e3:.3f} ms",
             "proportional to what is deleted"),
            ("a session's start and end", f"{end_times[middle] * 1e3:.1f} ms",
             "(3 sessions left on disk)"),
        ],
    )  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
