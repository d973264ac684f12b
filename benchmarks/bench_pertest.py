"""Benchmark 1: per-test cost of a temporary directory, measured alike for all.

Every variant is measured the same way: a whole process running N passing
tests, each writing one small file, session start and end included (for
fixturestmp its default session, for pytest its basetemp, lock and
pruning). Every process starts after the same settling (``sync``), with
``TMPDIR`` set to the same parent directory. The testtools variants
(``TempDirFixture``, ``fixtures.TempDir``, ``mkdtemp`` + ``rmtree``) run
under testtools' runner (:mod:`benchmarks.pertest_run`), as do
fixturestmp's drop-in ``fixturestmp.TempDir`` (a ``str`` path, as
``fixtures.TempDir``'s) and ``fixtures.TempDir + Path`` (its path made a
:class:`pathlib.Path`, as ``TempDirFixture.path`` is); pytest's
``tmp_path`` (policy failed) runs under ``python -m pytest``, by pytest
and served by fixturestmp (``-p fixturestmp.tmp_path``). A variant's
per-test cost is (its process - the same runner's process of empty tests)
/ N. Each round runs every variant once, in a new order every other round
and reversed in between (every two variants run in both orders alike);
ratios are taken round by round and reported as median and range, for
wall and CPU time.
``fixtures.TempDir (again)`` is the harness's check of itself: the same
variant under a second name must measure about 1.0x.
"""

import argparse
import atexit
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import NamedTuple

from benchmarks.common import report, scratch_dir

_PYTEST = ["-m", "pytest", "-q", "-p", "no:cacheprovider"]

#: variant: (the command after the interpreter, its runner's baseline)
VARIANTS = {
    "testtools empty": (["-m", "benchmarks.pertest_run", "empty"], None),
    "TempDirFixture": (["-m", "benchmarks.pertest_run", "ours"], "testtools empty"),
    "fixturestmp.TempDir": (
        ["-m", "benchmarks.pertest_run", "dropin"],
        "testtools empty",
    ),
    "fixtures.TempDir": (
        ["-m", "benchmarks.pertest_run", "fixtures"],
        "testtools empty",
    ),
    "fixtures.TempDir (again)": (
        ["-m", "benchmarks.pertest_run", "fixtures"],
        "testtools empty",
    ),
    "fixtures.TempDir + Path": (
        ["-m", "benchmarks.pertest_run", "fixtures-path"],
        "testtools empty",
    ),
    "mkdtemp+rmtree": (["-m", "benchmarks.pertest_run", "bare"], "testtools empty"),
    "pytest empty": (["-m", "pytest", "-q", "-p", "no:cacheprovider", "empty"], None),
    "pytest tmp_path": (
        ["-m", "pytest", "-q", "-p", "no:cacheprovider", "tmp_path"],
        "pytest empty",
    ),
    # The same tests, tmp_path served by fixturestmp (fixturestmp.tmp_path).
    "pytest tmp_path (fixturestmp)": (
        [*_PYTEST, "-p", "fixturestmp.tmp_path", "tmp_path"],
        "pytest empty",
    ),
    # The same tests, tmp_path a fixture that makes no directory: what
    # pytest's work around the fixture and the test's own write cost.
    "pytest tmp_path floor": ([*_PYTEST, "floor"], "pytest empty"),
}
#: (numerator, denominator) of each reported ratio
RATIOS = (
    ("TempDirFixture", "fixtures.TempDir"),
    # Like for like: the drop-in's .path is a str, as fixtures.TempDir's is.
    ("fixturestmp.TempDir", "fixtures.TempDir"),
    ("TempDirFixture", "pytest tmp_path"),
    ("pytest tmp_path (fixturestmp)", "pytest tmp_path"),
    ("pytest tmp_path floor", "pytest tmp_path"),
    # What a pathlib.Path costs by itself: TempDirFixture's .path is one.
    ("fixtures.TempDir + Path", "fixtures.TempDir"),
    ("TempDirFixture", "fixtures.TempDir + Path"),
    ("fixtures.TempDir (again)", "fixtures.TempDir"),
)

_PYTEST_FILE = """
    import pytest

    @pytest.mark.parametrize("n", range({count}))
    def test_it(n, {argument}):
        {body}
"""
# The floor's tmp_path: shaped as pytest's (a generator, needing the
# session's factory), it yields the base directory and makes nothing, so
# each test writes over the same file.
_FLOOR_CONFTEST = """
    import pytest

    @pytest.fixture
    def tmp_path(tmp_path_factory):
        yield tmp_path_factory.getbasetemp()
"""


class Times(NamedTuple):
    """Seconds of one process: on the wall clock, and of CPU (user + system)."""

    wall: float
    cpu: float


def _pytest_files(directory: Path, count: int) -> None:
    for name, argument, body in [
        ("empty", "", "pass"),
        ("tmp_path", "tmp_path", '(tmp_path / "data.txt").write_text("small")'),
        ("floor", "tmp_path", '(tmp_path / "data.txt").write_text("small")'),
    ]:
        (directory / name).mkdir()
        text = _PYTEST_FILE.format(count=count, argument=argument, body=body).replace(
            "(n, )", "(n)"
        )
        (directory / name / "test_it.py").write_text(textwrap.dedent(text))
    # Both tmp_path variants remove a passing test's directory.
    (directory / "tmp_path" / "pytest.ini").write_text(
        "[pytest]\ntmp_path_retention_policy = failed\n"
    )
    (directory / "floor" / "conftest.py").write_text(textwrap.dedent(_FLOOR_CONFTEST))


def _measure(command: list[str], cwd: Path, env: dict[str, str]) -> Times:
    os.sync()  # The same settling before every process: nothing left to write.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *command], cwd=cwd, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{command} failed:\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Times(wall, cpu)


def _environment(parent: Path) -> dict[str, str]:
    """The environment of every measured process: ``TMPDIR`` is ``parent``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIXTURESTMP_")}
    env["TMPDIR"] = str(parent)
    # As installed packages are: compiled once, loaded from bytecode.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH", "")]
    )
    return env


def _parent(tmpdir: str | None) -> Path:
    parent = Path(tempfile.mkdtemp(prefix="fixturestmp-pertest-", dir=tmpdir))
    atexit.register(shutil.rmtree, parent, ignore_errors=True)
    return parent


def _ratios(per_test: dict[str, dict[str, list[float]]]) -> dict:
    """Every ratio of :data:`RATIOS` whose two sides were measured, by round."""
    return {
        field: {
            f"{a} / {b}": [x / y for x, y in zip(costs[a], costs[b], strict=True)]
            for a, b in RATIOS
            if a in costs and b in costs
        }
        for field, costs in per_test.items()
    }


def measure(tmpdir: str | None, tests: int, rounds: int, only: list[str]) -> dict:
    """Run the rounds; return every sample, per-test costs and ratios."""
    parent = _parent(tmpdir)
    scratch = scratch_dir("fixturestmp-pertest-files-")
    _pytest_files(scratch, tests)
    env = _environment(parent)
    names = [n for n in VARIANTS if not only or n in only]
    samples: dict[str, list[Times]] = {name: [] for name in names}
    shuffler = random.Random(rounds)  # Seeded: a rerun takes the same turns.
    for name in names:  # Warm-up, not counted: bytecode and disk caches.
        command, _ = VARIANTS[name]
        _measure(command if command[1] == "pytest" else [*command, "10"], scratch, env)
    order = list(names)
    for round_number in range(rounds):
        # A new order every other round, reversed in between: every two
        # variants run in both orders equally often (or one apart), so what
        # a process leaves to the next (caches, the disk) favours neither.
        if round_number % 2 == 0:
            shuffler.shuffle(order)
        else:
            order.reverse()
        for name in order:
            command, _ = VARIANTS[name]
            if command[1] != "pytest":  # pytest's files hold the count
                command = [*command, str(tests)]
            samples[name].append(_measure(command, scratch, env))
    return _result(parent, tests, rounds, samples)


def _result(
    parent: Path, tests: int, rounds: int, samples: dict[str, list[Times]]
) -> dict:
    """Per-test costs (a sample minus its runner's empty one of the same
    round, over ``tests``) and their ratios, of every variant sampled."""
    per_test = {
        field: {
            name: [
                (getattr(run, field) - getattr(samples[base][i], field)) / tests
                for i, run in enumerate(samples[name])
            ]
            for name, (_, base) in VARIANTS.items()
            if name in samples and base in samples
        }
        for field in Times._fields
    }
    return {
        "tmpdir": str(parent.parent),
        "tests": tests,
        "rounds": rounds,
        "per_test": per_test,
        "ratios": _ratios(per_test),
    }


def measure_steady(tmpdir: str | None, block: int, rounds: int) -> dict:
    """Benchmark 1b: the testtools variants in one process, block by block.

    Whole processes on a shared machine differ from round to round by
    more than some of the differences measured (doc/benchmarks.rst);
    blocks of tests run in turn in one process are milliseconds apart and
    see the machine alike. The same parent directory and environment as
    :func:`measure`; start-up and the session's start and end are left out
    (benchmark 1 has them), and pytest cannot take part (it is compared in
    1 only).
    """
    parent = _parent(tmpdir)
    labels = [
        f"{name}={command[2]}"
        for name, (command, _) in VARIANTS.items()
        if command[1] != "pytest"
    ]
    os.sync()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.pertest_run", "--interleaved",
         str(rounds), str(block), *labels],
        env=_environment(parent), capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"benchmark 1b failed:\n{done.stderr}")
    blocks = json.loads(done.stdout)
    samples = {name: [Times(*times) for times in blocks[name]] for name in blocks}
    return _result(parent, block, rounds, samples)


def _spread(values: list[float], scale: float = 1.0, unit: str = "") -> str:
    low, mid, high = min(values), statistics.median(values), max(values)
    if unit:
        return f"{mid * scale:.3f}{unit} ({low * scale:.3f}-{high * scale:.3f})"
    return f"{mid:.2f}x ({low:.2f}-{high:.2f})"


def print_report(result: dict, steady: bool = False) -> list[str]:
    """Print the per-test costs and the ratios, with their range over rounds."""
    rows = []
    for field in Times._fields:
        for name, costs in result["per_test"][field].items():
            rows.append((f"{field} {name}", _spread(costs, 1000, " ms"), "per test"))
        for name, values in result["ratios"][field].items():
            rows.append((f"{field} {name}", _spread(values), "median (range)"))
    if steady:
        title = (
            f"1b. steady per-test cost, blocks of {result['tests']} tests in "
            f"one process, {result['rounds']} rounds, in {result['tmpdir']}"
        )
    else:
        title = (
            f"1. per-test cost, {result['tests']} tests a process, "
            f"{result['rounds']} rounds, in {result['tmpdir']}"
        )
    return report(title, rows)


#: Benchmark 1b's rounds and tests a block: a few seconds in all.
STEADY_ROUNDS, STEADY_BLOCK = 25, 500


def main(rounds: int, tmpdir: str | None = None, tests: int = 2000) -> dict:
    result = measure(tmpdir, tests, rounds, [])
    print_report(result)
    print_report(measure_steady(tmpdir, STEADY_BLOCK, STEADY_ROUNDS), steady=True)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_pertest")
    parser.add_argument("rounds", type=int, nargs="?", default=7)
    parser.add_argument("--tmpdir", help="the parent file system (default: TMPDIR)")
    parser.add_argument(
        "--tests", type=int, help="tests a process (default 2000), a block (500)"
    )
    parser.add_argument("--only", default="", help="comma-separated variant names")
    parser.add_argument(
        "--steady",
        action="store_true",
        help="benchmark 1b only: blocks of --tests tests in one process",
    )
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    only = [name for name in args.only.split(",") if name]
    unknown = sorted(set(only) - set(VARIANTS))
    if unknown:
        parser.error(f"--only: unknown variants {unknown}; known: {sorted(VARIANTS)}")
    if args.steady:
        if only:
            parser.error("--steady runs every testtools variant: leave out --only")
        outcome = measure_steady(args.tmpdir, args.tests or STEADY_BLOCK, args.rounds)
    else:
        outcome = measure(args.tmpdir, args.tests or 2000, args.rounds, only)
    if args.json:
        print(json.dumps(outcome))
    else:
        print_report(outcome, steady=args.steady)
