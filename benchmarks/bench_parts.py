"""What TempDirFixture's per-test cost is made of, piece by piece.

Run from the repository root (needs ``valgrind``)::

    python -m benchmarks.bench_parts [--tests 1000]

Each variant is a process of N testtools tests (:mod:`benchmarks.pertest_run`),
each doing one piece more of :class:`~fixturestmp.TempDirFixture`'s work than
the one before; ``fixtures.TempDir`` is the reference. The cost counted is
the instructions run in user space per test, above an empty test's, as
``valgrind --tool=callgrind`` counts them: a count, the same on a busy
machine as on an idle one, where CPU time on a shared machine varies by more
than the pieces cost. What it leaves out is the kernel's work (the system
calls, which fixturestmp makes fewer of than ``fixtures.TempDir``):
:mod:`benchmarks.bench_pertest` measures whole-process time.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import report

#: (variant of benchmarks.pertest_run, what it adds to the row before)
PARTS = [
    ("session-dir", "a directory made and removed in the session"),
    ("session-fixture", "+ a fixtures.Fixture set up by useFixture"),
    ("session-fixture-detail", "+ a tmp-path detail"),
    ("dropin", "fixturestmp.TempDir: + the test found, its outcome, retention"),
    ("ours", "TempDirFixture: + .path, a pathlib.Path"),
    ("fixtures", "fixtures.TempDir (the reference)"),
]


def instructions(variant: str, tests: int) -> int:
    """Return the instructions a process of ``tests`` tests runs."""
    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIXTURESTMP_")}
    # The same hash seed every time: dictionaries and sets behave alike.
    env.update(PYTHONHASHSEED="0", PYTHONPATH=str(root))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory(prefix="fixturestmp-parts-") as parent:
        env["TMPDIR"] = parent  # No earlier session to prune: a fresh root.
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
             sys.executable, "-m", "benchmarks.pertest_run", variant, str(tests)],
            env=env, capture_output=True, text=True, cwd=root,
        )  # fmt: skip
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{variant}: valgrind failed:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def per_test(variant: str, tests: int) -> float:
    """Instructions of one test: the difference of two runs, start-up cancelled."""
    instructions(variant, 1)  # Compiles and caches the bytecode first.
    return (instructions(variant, tests) - instructions(variant, 10)) / (tests - 10)


def main(tests: int = 1000) -> dict[str, float]:
    if shutil.which("valgrind") is None:
        print("== 8. parts: skipped, valgrind is not installed", flush=True)
        return {}
    empty = per_test("empty", tests)
    costs = {name: per_test(name, tests) - empty for name, _ in PARTS}
    reference = costs["fixtures"]
    rows = []
    previous = 0.0
    for name, what in PARTS:
        cost = costs[name]
        step = "" if name == "fixtures" else f"  (+{(cost - previous) / 1000:.0f}k)"
        rows.append((what, f"{cost / 1000:.0f}k", f"{cost / reference:.2f}x{step}"))
        if name != "fixtures":
            previous = cost
    report(f"8. parts: instructions per test above an empty test, {tests} tests", rows)
    return costs


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_parts")
    parser.add_argument("--tests", type=int, default=1000)
    main(parser.parse_args().tests)
