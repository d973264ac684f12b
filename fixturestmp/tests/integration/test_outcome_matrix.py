"""The outcome matrix, run for real: runner x kind of case x way x outcome.

Each runner runs the whole generated suite (:mod:`fixturestmp.tests.support.matrix`)
once, in a subprocess under ``fixturestmp run``; then each row is checked as
a test of its own: its directories on disk, the ``fixturestmp run`` summary,
and, where the runner shows testtools details, the ``tmp-path`` detail.
"""

import shutil
import sys
import tempfile
import unittest
from pathlib import Path
from typing import Any

import fixtures
import testtools

from fixturestmp._store.basedir import base_name
from fixturestmp.tests.support import matrix, run_cli, write_files

_MODULES = [f"suite.test_{kind}" for kind in matrix.KINDS]


class _Run:
    """One runner's run of the whole suite: what it printed, where it left things."""

    def __init__(self, command: list[str]) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="fixturestmp-matrix-"))
        project = self.root / "project"
        write_files(project, matrix.suite_files())
        write_files(
            project, {".stestr.conf": "[DEFAULT]\ntest_path=./suite\ntop_dir=./\n"}
        )
        run = run_cli(
            "run", "--", sys.executable, *command,
            cwd=project, root=self.root, clean=True, timeout=600,
        )  # fmt: skip
        self.returncode = run.returncode
        self.output = run.stdout + run.stderr
        self.summary = run.stderr.splitlines()
        self.session = self.root / base_name() / "run-0"

    def problems(self, row: matrix.Row, details: bool, pytest: bool) -> list[str]:
        """Return what is wrong with ``row`` after this run (by pytest, which
        names tests by node id and runs the autouse fixture of late_fx).
        """
        found = []
        kept = row.kept_by_pytest if pytest else row.kept
        test_id = row.node_id if pytest else row.test_id
        for name in row.dir_names:
            path = self.session / name
            if path.is_dir() != kept:
                found.append(f"{path} {'is gone' if kept else 'is still there'}")
            if row.unknown:
                line = f"KEPT {name}  {path}"
            else:
                line = f"FAILED {test_id}  {path}"
            if kept and line not in self.summary:
                found.append(f"the summary lacks {line!r}")
            if details and kept and not row.unknown:
                if f"{path}\nretained: " not in self.output:
                    found.append(f"no tmp-path detail 'retained' for {path}")
        if not kept:
            named = [line for line in self.summary if f" {test_id} " in line]
            if named:
                found.append(f"the summary names a passing test: {named}")
        return found

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class _MatrixTest(testtools.TestCase):
    """Rows of one runner; the run is made once, for the first row checked."""

    command: list[str] = []
    pytest = False
    shows_details = False
    #: Outcomes the runner reports without details.
    no_details_for: frozenset[str] = frozenset()
    _run: _Run | None = None

    @classmethod
    def run_of_suite(cls) -> _Run:
        if cls._run is None:
            cls._run = _Run(cls.command)
        return cls._run

    @classmethod
    def tearDownClass(cls) -> None:
        if cls._run is not None:
            cls._run.remove()
            cls._run = None
        super().tearDownClass()

    def check(self, row: matrix.Row) -> None:
        run = self.run_of_suite()
        self.assertNotEqual(0, run.returncode, run.output[-3000:])
        # A failure reported after run() carries its traceback only.
        details = self.shows_details and row.testtools and row.outcome != "late_run"
        problems = run.problems(
            row, details and row.outcome not in self.no_details_for, self.pytest
        )
        self.assertEqual([], problems, run.output[-3000:] if problems else "")


class TestUnittestRunner(_MatrixTest):
    command = ["-m", "unittest", *_MODULES]


class TestTesttoolsRunner(_MatrixTest):
    command = ["-m", "testtools.run", *_MODULES]
    shows_details = True
    # Its text result prints an unexpected success's name only.
    no_details_for = frozenset({"xpass"})


class TestStestrRunner(_MatrixTest):
    command = ["-m", "stestr", "run", "--concurrency", "2"]
    shows_details = True


class TestPytestRunner(_MatrixTest):
    command = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "suite"]
    pytest = True


class TestPytestXdistRunner(_MatrixTest):
    command = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "suite"]
    pytest = True


def _row_test(row: matrix.Row):
    def test(self: _MatrixTest) -> None:
        self.check(row)

    test.__doc__ = f"{row.test_id}: {'kept' if row.kept else 'removed'}"
    return test


for _runner in (
    TestUnittestRunner,
    TestTesttoolsRunner,
    TestStestrRunner,
    TestPytestRunner,
    TestPytestXdistRunner,
):
    for _row in matrix.rows(pytest=_runner.pytest):
        setattr(_runner, f"test_{_row.name}", _row_test(_row))


class TestNothingLeftBehind(testtools.TestCase):
    """A passing test leaves no reference cycle: everything is freed at once
    (a failed one holds its traceback's frames, as without fixturestmp).
    """

    def test_no_cycles(self):
        import gc

        import fixturestmp

        root = self.useFixture(fixtures.TempDir()).path
        session = self.useFixture(fixturestmp.SessionTempFixture(root=root))

        def by_hand(case: unittest.TestCase) -> None:
            fixture = fixturestmp.TempDirFixture(session=session)
            fixture.setUp()
            case.addCleanup(fixture.cleanUp)

        class Testtools(testtools.TestCase):
            def test_pass(self) -> None:
                self.useFixture(fixturestmp.TempDirFixture(session=session))

        class Plain(unittest.TestCase):
            def test_pass(self) -> None:
                by_hand(self)

        def run_all() -> None:
            for kind in (Testtools, Plain):
                result: Any = unittest.TestResult()  # testtools adapts it
                kind("test_pass").run(result)

        run_all()  # first use: caches, the session's own objects
        gc.collect()
        enabled = gc.isenabled()
        gc.disable()
        try:
            run_all()
            self.assertEqual(0, gc.collect())
        finally:
            if enabled:
                gc.enable()
