"""Benchmark 1: per-test cost of a temporary directory, 2000 passing tests.

Each test writes one small file. Variants run in one process, taking turns
in batches of 100 tests (2000 per variant and round): TempDirFixture via
useFixture, fixtures.TempDir via useFixture, bare mkdtemp + rmtree, and an
empty test (the runner's baseline). pytest's tmp_path (policy failed) runs
as a pytest subprocess against an empty-test pytest baseline, in the same
round. Each cost is (run - its runner's baseline) / tests, medians over the
rounds.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
from pathlib import Path

import fixtures
import testtools

from benchmarks.common import interleave, isolated_root, report
from fixturestmp import TempDirFixture

TESTS = 2000
BATCH = 100


def _suite(body, count: int = TESTS) -> unittest.TestSuite:
    class Case(testtools.TestCase):
        def test_it(self):
            body(self)

    return unittest.TestSuite(Case("test_it") for _ in range(count))


def _write(path: str) -> None:
    with open(f"{path}/data.txt", "w") as stream:
        stream.write("small")


def empty(case) -> None:
    pass


def ours(case) -> None:
    _write(str(case.useFixture(TempDirFixture()).path))


def fixtures_tempdir(case) -> None:
    _write(case.useFixture(fixtures.TempDir()).path)


def bare(case) -> None:
    path = tempfile.mkdtemp()
    _write(path)
    shutil.rmtree(path)


def _run_suite(body, count: int = TESTS) -> float:
    suite = _suite(body, count)
    result = testtools.TestResult()
    start = time.perf_counter()
    suite.run(result)
    elapsed = time.perf_counter() - start
    assert result.wasSuccessful(), result.errors
    return elapsed


PYTEST_BODY = {
    "tmp_path": "def test_it(n, tmp_path):\n"
    "    (tmp_path / 'data.txt').write_text('small')\n",
    "empty": "def test_it(n):\n    pass\n",
}


def _pytest_project(kind: str) -> Path:
    project = Path(tempfile.mkdtemp(prefix="bench-pytest-"))
    (project / "test_many.py").write_text(
        f"import pytest\n\n@pytest.mark.parametrize('n', range({TESTS}))\n"
        + PYTEST_BODY[kind]
    )
    (project / "pytest.ini").write_text(
        textwrap.dedent(
            """\
            [pytest]
            tmp_path_retention_policy = failed
            tmp_path_retention_count = 3
            """
        )
    )
    return project


def _run_pytest(project: Path) -> float:
    # pytest's own numbered layout (pytest-of-<user>/pytest-<N>, as users
    # get it), in a private TMPDIR; start-up is the same for both variants.
    tmpdir = project / "tmp"
    tmpdir.mkdir(exist_ok=True)
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project, capture_output=True, text=True,
        env=dict(os.environ, TMPDIR=str(tmpdir)),
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    assert run.returncode == 0, run.stdout[-2000:]
    return elapsed


def main(rounds: int = 5) -> list[str]:
    isolated_root()
    bodies = {
        "empty": empty,
        "TempDirFixture": ours,
        "fixtures.TempDir": fixtures_tempdir,
        "mkdtemp+rmtree": bare,
    }
    batches = {
        name: (lambda body=body: _run_suite(body, BATCH))
        for name, body in bodies.items()
    }
    projects = {kind: _pytest_project(kind) for kind in PYTEST_BODY}
    pytest_runs = {
        "pytest empty": lambda: _run_pytest(projects["empty"]),
        "pytest tmp_path": lambda: _run_pytest(projects["tmp_path"]),
    }
    samples: dict[str, list[float]] = {n: [] for n in [*batches, *pytest_runs]}
    for _ in range(rounds):
        # In a round, in-process variants take turns batch by batch (BATCH
        # tests each), so all of them meet the same moments of a disk whose
        # latency drifts; the pytest runs follow in the same round, so the
        # ratios to them compare neighbouring moments too.
        for name, value in interleave(batches, TESTS // BATCH).items():
            samples[name].append(value / BATCH)
        for name, value in interleave(pytest_runs, 1).items():
            samples[name].append(value / TESTS)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    per_test = {
        name: (medians[name] - medians["empty"]) * 1e3
        for name in ("TempDirFixture", "fixtures.TempDir", "mkdtemp+rmtree")
    }
    per_test["pytest tmp_path"] = (
        medians["pytest tmp_path"] - medians["pytest empty"]
    ) * 1e3
    ours_ms = per_test["TempDirFixture"]
    rows = [
        (name, f"{value:.3f} ms/test", f"ours/this = {ours_ms / value:.2f}x")
        for name, value in per_test.items()
    ]
    rows.append(("goal", "", "<= 1.1x fixtures.TempDir, <= 0.3x pytest tmp_path"))
    return report(f"1. per-test cost, {TESTS} passing tests, policy failed", rows)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
