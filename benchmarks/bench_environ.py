"""Benchmark: the environment copies of the ``environ`` leak check.

Run from the repository root::

    python -m benchmarks.bench_environ [rounds] [--batch 200]

The ``environ`` check compares the environment with its snapshot twice a
test, and copies it only after a change. This times, per test and round
by round in turn: the cheap check set (files, processes, fds, threads,
environ: one ``start()`` and ``stop()``, in a private, settled temporary
directory); two comparisons through the private encoded mapping
(:func:`fixturestmp._runtime.interpreter.environ_is`, what the set does while the
environment is unchanged); two copies of it
(:func:`fixturestmp._runtime.interpreter.environ_snapshot`, what the set did before it
compared); and two public copies (``dict(os.environ)``, what either costs
without the private mapping). It reports what share of the cheap set's
per-test cost the public copies would be if the set used them: more than
a tenth is the bar for keeping the private route. The cost of a copy
grows with the number of variables, which is printed.
"""

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable

from benchmarks.common import interleave_samples, report, scratch_dir
from fixturestmp._runtime.interpreter import environ_is, environ_snapshot
from fixturestmp.leaks import CHEAP_CHECKS, LeakCheck
from fixturestmp.leaks.dirlisting import SETTLED


def _per_test(one_test: Callable[[], object], batch: int) -> Callable[[], float]:
    def sample() -> float:
        begin = time.perf_counter()
        for _ in range(batch):
            one_test()
        return (time.perf_counter() - begin) / batch * 1e6

    return sample


def measure(rounds: int, batch: int) -> dict[str, list[float]]:
    """Return the µs per test of every variant, one sample per round."""
    tempfile.tempdir = str(scratch_dir("fixturestmp-bench-environ-"))
    time.sleep(SETTLED * 1.2)  # The files check trusts a settled listing.
    check = LeakCheck(CHEAP_CHECKS, action="report")
    snapshot = environ_snapshot()

    def cheap_set() -> None:
        check.start()
        check.stop("bench")

    return interleave_samples(
        {
            "cheap set": _per_test(cheap_set, batch),
            "2 private comparisons": _per_test(
                lambda: (environ_is(snapshot), environ_is(snapshot)), batch
            ),
            "2 private copies": _per_test(
                lambda: (environ_snapshot(), environ_snapshot()), batch
            ),
            "2 public copies": _per_test(
                lambda: (dict(os.environ), dict(os.environ)), batch
            ),
        },
        rounds,
    )


def main(rounds: int = 25, batch: int = 200) -> list[str]:
    samples = measure(rounds, batch)
    # The set with public copies: its own cost, its copies swapped.
    share = [
        public / (whole - private + public)
        for whole, private, public in zip(
            samples["cheap set"],
            samples["2 private comparisons"],
            samples["2 public copies"],
            strict=True,
        )
    ]
    rows = [
        (
            name,
            f"{statistics.median(values):.1f} µs ({min(values):.1f}-{max(values):.1f})",
            "per test",
        )
        for name, values in samples.items()
    ]
    rows.append(
        (
            "public copies / cheap set with them",
            f"{statistics.median(share):.0%} ({min(share):.0%}-{max(share):.0%})",
            "keep the private route above 10%",
        )
    )
    return report(
        f"environ copies, {len(os.environ)} variables, {rounds} rounds of {batch}",
        rows,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_environ")
    parser.add_argument("rounds", type=int, nargs="?", default=25)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    main(args.rounds, args.batch)
