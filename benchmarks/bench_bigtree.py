"""Benchmark 2: a passing test whose directory holds 20,000 files.

Measures the time the test itself spends in its directory's cleanup (the
critical path), and the total removal work (until the background deletion is
done) against ``rm -rf`` of an identical tree, rounds interleaved.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import interleave, isolated_root, report, scratch_dir

FILES = 20_000


def make_tree(top: Path) -> None:
    """Fill ``top`` with FILES small files in 20 subdirectories."""
    for group in range(20):
        directory = top / f"d{group}"
        directory.mkdir(parents=True)
        for number in range(FILES // 20):
            with open(directory / f"f{number}", "w") as stream:
                stream.write("x")


def main(rounds: int = 5) -> list[str]:
    import fixturestmp

    isolated_root()
    session = fixturestmp.SessionTempFixture(retention_policy="failed")
    session.setUp()
    scratch = scratch_dir("bench-rm-")
    critical: list[float] = []

    def ours() -> float:
        with fixturestmp.TempDirFixture(session=session) as tmp:
            make_tree(tmp.path)
            start = time.perf_counter()
        critical.append(time.perf_counter() - start)
        session.trash.drain()
        return time.perf_counter() - start

    def rm_rf() -> float:
        top = scratch / "tree"
        make_tree(top)
        start = time.perf_counter()
        subprocess.run(["rm", "-rf", str(top)], check=True)
        return time.perf_counter() - start

    medians = interleave({"ours": ours, "rm -rf": rm_rf}, rounds)
    session.cleanUp()
    os.rmdir(scratch)
    critical.sort()
    in_test = critical[len(critical) // 2] * 1e3
    ratio = medians["ours"] / medians["rm -rf"]
    return report(
        f"2. passing test with {FILES} files",
        [
            ("time in the test's cleanup", f"{in_test:.3f} ms", "goal <= 1 ms"),
            ("total removal, ours", f"{medians['ours'] * 1e3:.1f} ms", ""),
            (
                "total removal, rm -rf",
                f"{medians['rm -rf'] * 1e3:.1f} ms",
                f"ours/rm -rf = {ratio:.2f}x, goal <= 1.3x",
            ),
        ],
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
