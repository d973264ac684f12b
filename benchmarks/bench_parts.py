"""What fixturestmp's per-test cost is made of: the pieces taken away one
at a time.

Run from the repository root::

    python -m benchmarks.bench_parts [rounds] [--tmpdir /dev/shm]

Each variant is TempDirFixture with one piece replaced by a no-op (so the
variant no longer does what the piece is for: this measures, it is not a
way to run), taking turns with the full fixture, fixtures.TempDir and an
empty test, batch by batch as in ``bench_pertest``. Costs are CPU time (user
+ system) per test above the empty test; a piece's cost is the full
fixture's minus the variant's. A negative cost means that taking the piece
away brought other work back (without the test case, testtools copies the
detail again). Best run in ``/dev/shm``, where no disk latency hides the
CPU.
"""

import argparse
import os
import statistics
import tempfile
from collections.abc import Callable
from typing import Any

from benchmarks.bench_pertest import BATCH, _run_suite, empty, fixtures_tempdir, ours
from benchmarks.common import interleave_samples, isolated_root, report
from fixturestmp import default_session
from fixturestmp import tempdir as tempdir_module
from fixturestmp.sessiondir import SessionDir
from fixturestmp.tempdir import TempDirFixture

#: piece -> what replacing it with a no-op means: (object, attribute, value)
PIECES: dict[str, list[tuple[Any, str, Any]]] = {
    "learning the outcome after the last cleanup": [
        (tempdir_module, "outcome_of", lambda case: None)
    ],
    "finding the test case (and all that needs it)": [
        (tempdir_module, "_find_user", lambda: (None, False))
    ],
    "the tmp-path detail": [
        (TempDirFixture, "addDetail", lambda self, name, content: None),
        (tempdir_module, "_add_unique", lambda details, detail: None),
    ],
    "the session's wait list (hold/release)": [
        (SessionDir, "hold", lambda self, key, settle: None),
        (SessionDir, "release", lambda self, key: None),
    ],
    "the pathlib.Path of .path (fixtures.TempDir's is a str)": [
        (TempDirFixture, "path", property(lambda self: self._path))
    ],
    "the manifest (count or record)": [
        (SessionDir, "record", lambda self, *args, **kwargs: None),
        (SessionDir, "count_removed", lambda self: None),
    ],
}


def _without(patches: list[tuple[Any, str, Any]]) -> Callable[[], Any]:
    def run() -> Any:
        saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
        for owner, name, value in patches:
            setattr(owner, name, value)
        try:
            return _run_suite(ours, BATCH)
        finally:
            for owner, name, value in saved:
                setattr(owner, name, value)

    return run


def main(rounds: int = 300, tmpdir: str | None = None) -> list[str]:
    if tmpdir is not None:
        os.environ["TMPDIR"] = tmpdir
        tempfile.tempdir = tmpdir
    isolated_root()
    default_session()
    variants: dict[str, Callable[[], Any]] = {
        "empty": lambda: _run_suite(empty, BATCH),
        "fixtures.TempDir": lambda: _run_suite(fixtures_tempdir, BATCH),
        "TempDirFixture": lambda: _run_suite(ours, BATCH),
    }
    variants.update({piece: _without(patches) for piece, patches in PIECES.items()})
    samples = interleave_samples(variants, rounds)
    cost = {
        name: statistics.median(t.cpu for t in values) / BATCH * 1e6
        for name, values in samples.items()
    }
    full = cost["TempDirFixture"] - cost["empty"]
    rows = [
        ("TempDirFixture", f"{full:.1f} µs/test", ""),
        (
            "fixtures.TempDir",
            f"{cost['fixtures.TempDir'] - cost['empty']:.1f} µs/test",
            f"difference {full - (cost['fixtures.TempDir'] - cost['empty']):.1f} µs",
        ),
    ]
    for piece in PIECES:
        rows.append((piece, f"{cost['TempDirFixture'] - cost[piece]:.1f} µs/test", ""))
    return report(
        f"per-test CPU time by piece, {rounds} rounds of {BATCH} tests, "
        f"in {tempfile.gettempdir()}",
        rows,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("rounds", type=int, nargs="?", default=300)
    parser.add_argument("--tmpdir", help="temp directory (default: the system's)")
    options = parser.parse_args()
    main(options.rounds, options.tmpdir)
