"""Benchmark 6: interpreter start-up with fixturestmp installed from its wheel.

The wheel puts ``fixturestmp-adopt.pth`` in site-packages, so every Python
process of that environment reads it at start-up; without
``FIXTURESTMP_ADOPT`` the line costs one environment look-up. Measured:
``python -c pass`` as whole processes in two virtual environments made
alike (``python -m venv``), one with the wheel installed and one without,
interleaved in a new shuffled order every round. A third variant runs the
environment without the package a second time (an A/A check: the noise of
this machine), and a fourth the one with it under ``FIXTURESTMP_ADOPT=1``
(for information: what ``--adopt`` adds to each process).

Run alone: ``python -m benchmarks.bench_startup [ROUNDS] [--runs N]``.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import interleave_samples, report, scratch_dir

__all__ = ["build_wheel", "main", "make_venv"]

REPO_ROOT = Path(__file__).resolve().parent.parent
RUNS = 20


def build_wheel(outdir: Path) -> Path:
    """Build fixturestmp's wheel from this checkout into ``outdir``.

    With ``pip wheel``, which runs the package's own build (the one that puts
    the ``.pth`` file in the wheel) and is in every environment; ``python -m
    build`` is not, and a ``build/`` directory in the checkout would pass
    for it.

    :return: The wheel's path.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    for old in outdir.glob("fixturestmp-*.whl"):
        old.unlink()
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(outdir)]
    subprocess.run([*command, str(REPO_ROOT)], check=True, stdout=subprocess.DEVNULL)
    (wheel,) = outdir.glob("fixturestmp-*.whl")
    return wheel


def make_venv(directory: Path) -> Path:
    """Make a virtual environment with ``python -m venv``; return its python."""
    subprocess.run([sys.executable, "-m", "venv", str(directory)], check=True)
    return directory / "bin" / "python"


def _environment() -> dict[str, str]:
    """This process's environment without any fixturestmp variable."""
    return {k: v for k, v in os.environ.items() if not k.startswith("FIXTURESTMP_")}


def _block(python: Path, env: dict[str, str], runs: int) -> float:
    """Return the median wall time of ``runs`` starts of ``python -c pass``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(python), "-c", "pass"], env=env, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _ratios(over: list[float], under: list[float]) -> str:
    ratios = sorted(a / b for a, b in zip(over, under, strict=True))
    return f"{statistics.median(ratios):.3f}x (range {ratios[0]:.3f}-{ratios[-1]:.3f})"


def main(rounds: int = 7, runs: int = RUNS) -> list[str]:
    scratch = scratch_dir("bench-startup-")
    wheel = build_wheel(scratch / "wheel")
    without = make_venv(scratch / "without")
    with_package = make_venv(scratch / "with")
    subprocess.run(
        [str(with_package), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
        check=True,
    )
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = subprocess.run(
        [str(with_package), "-c", purelib], check=True, capture_output=True, text=True
    ).stdout.strip()
    if not Path(site, "fixturestmp-adopt.pth").is_file():
        raise SystemExit(f"the wheel {wheel} did not install fixturestmp-adopt.pth")
    env = _environment()
    adopt_env = dict(env, FIXTURESTMP_ADOPT="1")
    samples = interleave_samples(
        {
            "without": lambda: _block(without, env, runs),
            "without, again (A/A)": lambda: _block(without, env, runs),
            "with": lambda: _block(with_package, env, runs),
            "with, FIXTURESTMP_ADOPT=1": lambda: _block(with_package, adopt_env, runs),
        },
        rounds,
    )
    base = samples["without"]
    medians = {name: statistics.median(values) for name, values in samples.items()}
    rows = [("without fixturestmp", f"{medians['without'] * 1e3:.1f} ms", "reference")]
    for name, label, note in (
        ("without, again (A/A)", "without, again (A/A)", ""),
        ("with", "with fixturestmp (.pth)", "  goal ~1.00x"),
        ("with, FIXTURESTMP_ADOPT=1", "with, FIXTURESTMP_ADOPT=1", "  (information)"),
    ):
        ratio = _ratios(samples[name], base)
        rows.append((label, f"{medians[name] * 1e3:.1f} ms", ratio + note))
    return report(
        f"7. python -c pass, {rounds} rounds x {runs} starts per variant "
        f"(ratio per round of medians, median and range)",
        rows,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_startup")
    parser.add_argument("rounds", nargs="?", type=int, default=7)
    parser.add_argument("--runs", type=int, default=RUNS, help="starts per block")
    args = parser.parse_args()
    main(args.rounds, args.runs)
