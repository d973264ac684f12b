"""Helpers shared by the benchmarks: interleaved rounds, medians, ratios."""

import atexit
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

__all__ = [
    "interleave",
    "interleave_samples",
    "isolated_root",
    "report",
    "scratch_dir",
    "timed",
    "unpack_sdist",
]

T = TypeVar("T")


def timed(function: Callable[[], object]) -> float:
    """Return the wall time of one call, in seconds."""
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def interleave(
    variants: dict[str, Callable[[], float]], rounds: int
) -> dict[str, float]:
    """Run every variant once per round, in turn; return each one's median.

    Interleaving spreads the drift of a shared, noisy machine over all
    variants instead of penalising whichever runs last, and shuffling the
    order every round spreads what one variant leaves to the next.
    """
    samples = interleave_samples(variants, rounds)
    return {name: statistics.median(values) for name, values in samples.items()}


def interleave_samples(
    variants: dict[str, Callable[[], T]], rounds: int
) -> dict[str, list[T]]:
    """Like :func:`interleave`, returning every sample."""
    samples: dict[str, list[T]] = {name: [] for name in variants}
    order = list(variants)
    shuffler = random.Random(rounds)  # Seeded: a rerun takes the same turns.
    for _ in range(rounds):
        # A new order every round: no variant always follows the same one
        # (what ran just before leaves caches and disk queues behind).
        shuffler.shuffle(order)
        for name in order:
            samples[name].append(variants[name]())
    return samples


def scratch_dir(prefix: str) -> Path:
    """Return a new temporary directory, removed when the benchmark exits.

    Registered before the sessions that may live in it end, so removed
    after them (``atexit`` runs last-registered first).
    """
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def isolated_root() -> Path:
    """Return a fresh private root and point fixturestmp at it."""
    root = scratch_dir("fixturestmp-bench-")
    os.environ["FIXTURESTMP_ROOT"] = str(root)
    return root


def report(title: str, rows: list[tuple[str, str, str]]) -> list[str]:
    """Print and return a small table: measure, value, goal/ratio."""
    lines = [f"== {title}"]
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        lines.append(f"  {name:<{width}}  {value:>14}  {note}")
    print("\n".join(lines), flush=True)
    return lines


def unpack_sdist(workdir: Path, project: str, version: str) -> Path:
    """Download ``project``'s sdist of ``version`` from the package index
    into ``workdir`` and unpack it there, unless done; return its tree.

    Nothing outside ``workdir`` is written (tarfile's ``data`` filter
    where the Python has it).
    """
    stem = f"{project.replace('-', '_').replace('.', '_')}-{version}"
    tree = workdir / stem
    if not tree.is_dir():
        archive = workdir / f"{stem}.tar.gz"
        if not archive.is_file():
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                 "--no-binary", ":all:", "-d", str(workdir),
                 f"{project}=={version}"],
                check=True,
            )  # fmt: skip
        with tarfile.open(archive) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(workdir, filter="data")
            else:  # pragma: no cover - Pythons before 3.11.4
                tar.extractall(workdir)
    return tree
