"""Tests for fixturestmp._hooks.pertest: leak checks on every test of an
unchanged suite."""

import subprocess

from testtools.matchers import Contains, Not

from fixturestmp._store.manifest import read_manifest
from fixturestmp.tests.support import (
    HookedPython,
    IsolatedTestCase,
    run_cli,
    run_python,
    write_files,
)

# A suite that knows nothing of fixturestmp: testtools and unittest tests,
# two of which leave an environment variable set.
SUITE = """
    import os
    import unittest

    import testtools


    class TestTesttools(testtools.TestCase):
        def test_clean(self):
            os.environ["FIXTURESTMP_DEMO_CLEAN"] = "1"
            self.addCleanup(os.environ.pop, "FIXTURESTMP_DEMO_CLEAN")

        def test_leaves_a_variable(self):
            os.environ["FIXTURESTMP_DEMO_LEAK_TT"] = "1"


    class TestUnittest(unittest.TestCase):
        def test_clean(self):
            pass

        def test_leaves_a_variable(self):
            os.environ["FIXTURESTMP_DEMO_LEAK_UT"] = "1"
"""

# Two workers' tests that overlap, ordered by rendezvous files (no sleep
# decides the order): worker 1's test_b1 ends while worker 0's test_a still
# has a temporary directory made during test_b1; test_a removes it once
# test_b2 has started. test_c_leaks leaves a file behind.
OVERLAPPING = """
    import os
    import tempfile
    import time

    import testtools

    MEET = os.environ["MEET"]


    def say(name):
        open(os.path.join(MEET, name), "w").close()


    def wait_for(name):
        deadline = time.monotonic() + 60
        while not os.path.exists(os.path.join(MEET, name)):
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} never came: the other worker stopped")
            time.sleep(0.01)


    class TestA(testtools.TestCase):
        def test_a(self):
            wait_for("b1-started")
            made = tempfile.mkdtemp()
            say("a-made")
            wait_for("b2-started")
            os.rmdir(made)


    class TestB(testtools.TestCase):
        def test_b1(self):
            say("b1-started")
            wait_for("a-made")

        def test_b2(self):
            say("b2-started")

        def test_c_leaks(self):
            tempfile.mkstemp(prefix="leaked-")
"""
WORKERS = """
- worker:
  - suite.test_overlap.TestA
- worker:
  - suite.test_overlap.TestB
"""

# Checks 3 tests, forks a child that checks 1, and exits: each process's
# count of checked tests goes to the manifest at its exit.
FORKING_RUN = """
import os, sys, unittest
from fixturestmp._hooks import pertest


class Case(unittest.TestCase):
    def test_it(self):
        pass


def run_checked(count):
    for _ in range(count):
        case = Case("test_it")
        pertest.check_test(case, ("environ",))
        case.run()


run_checked(3)
pid = os.fork()
if pid == 0:
    run_checked(1)
    sys.exit(0)  # Its atexit handlers run, the parent's among them.
os.waitpid(pid, 0)
"""

# A test that runs another test inside it, twice: the inner test gets a
# probe set of its own, and the second round reuses those of the first.
NESTED_RUN = """
import os
import testtools
from fixturestmp._hooks import pertest

pertest.install()


class Inner(testtools.TestCase):
    def test_inner(self):
        pass


class Outer(testtools.TestCase):
    def test_outer(self):
        os.environ["FIXTURESTMP_DEMO_OUTER"] = "1"
        inner = Inner("test_inner")
        inner.run(testtools.TestResult())
        print("inner", sorted(inner.getDetails()))


for _ in range(2):
    os.environ.pop("FIXTURESTMP_DEMO_OUTER", None)
    outer = Outer("test_outer")
    outer.run(testtools.TestResult())
    print("outer", sorted(outer.getDetails()))
"""


class TestProbeSets(IsolatedTestCase):
    def test_a_test_inside_a_test_is_measured_apart_round_after_round(self):
        run = run_python(
            ["-c", NESTED_RUN],
            self.workdir,
            {"FIXTURESTMP_LEAK_CHECKS": "environ", "FIXTURESTMP_ROOT": str(self.root)},
        )
        self.assertEqual(0, run.returncode, run.stderr)
        rounds = ["inner []", "outer ['leak-environ']"]
        self.assertEqual(rounds * 2, run.stdout.splitlines(), run.stderr)


class TestCounts(IsolatedTestCase):
    def test_a_forked_child_counts_its_own_tests(self):
        session = self.useFixture(self.session(retention_policy="all"))
        run = run_python(
            ["-c", FORKING_RUN],
            self.workdir,
            {"FIXTURESTMP_SESSION": str(session.path)},
        )
        self.assertEqual(0, run.returncode, run.stderr)
        counts = [
            r["count"] for r in read_manifest(session.path) if r["kind"] == "checked"
        ]
        # The child's first (it ended first), then the parent's.
        self.assertEqual([1, 3], counts)


class TestPerTestChecks(IsolatedTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.python = HookedPython(self.root / "venv").python
        self.project = self.workdir / "project"
        write_files(
            self.project,
            {
                "suite/__init__.py": "",
                "suite/test_unchanged.py": SUITE,
                ".stestr.conf": "[DEFAULT]\ntest_path=./suite\ntop_dir=./\n",
            },
        )

    def run_cli(self, *command: str, **env: str) -> subprocess.CompletedProcess:
        return run_cli(
            "run", "--", self.python, *command,
            cwd=self.project, root=self.root, env=env, python=self.python, clean=True,
        )  # fmt: skip

    def test_every_test_of_an_unchanged_stestr_suite_is_checked(self):
        run = self.run_cli(
            "-m",
            "stestr",
            "run",
            "--concurrency",
            "2",
            FIXTURESTMP_LEAK_CHECKS="environ",
        )
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        leaked = [line for line in run.stderr.splitlines() if line.startswith("LEAKED")]
        self.assertEqual(2, len(leaked), run.stderr)
        for kind in ("TestTesttools", "TestUnittest"):
            test_id = f"suite.test_unchanged.{kind}.test_leaves_a_variable"
            self.assertTrue(
                any(line.endswith(f" in {test_id}") for line in leaked), leaked
            )
        self.assertThat(run.stderr, Not(Contains("test_clean")))
        self.assertThat(run.stderr, Not(Contains("applied to no test")))

    def test_workers_do_not_blame_each_other_for_temp_entries(self):
        meet = self.workdir / "meet"
        meet.mkdir()
        tmpdir = self.workdir / "tmp"
        tmpdir.mkdir()
        write_files(
            self.project,
            {"suite/test_overlap.py": OVERLAPPING, "workers.yaml": WORKERS},
        )
        run = self.run_cli(
            "-m", "stestr", "run", "--worker-file", "workers.yaml", "test_overlap",
            FIXTURESTMP_LEAK_CHECKS="files", MEET=str(meet), TMPDIR=str(tmpdir),
        )  # fmt: skip
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        self.assertTrue((meet / "b2-started").exists(), "the tests did not overlap")
        leaked = [line for line in run.stderr.splitlines() if line.startswith("LEAKED")]
        # test_a's directory, made while test_b1 ran in the other worker,
        # is not test_b1's; the true leak is found, in its own test.
        self.assertEqual(1, len(leaked), run.stderr)
        self.assertThat(leaked[0], Contains("temp entry leaked-"))
        self.assertTrue(leaked[0].endswith(" in suite.test_overlap.TestB.test_c_leaks"))
        # Each worker's own directory goes at its exit, unless it holds a leak.
        left = [entry.name for entry in tmpdir.iterdir()]
        self.assertEqual(1, len(left), left)
        self.assertTrue(left[0].startswith("fixturestmp-worker-"), left)
        self.assertEqual(
            ["leaked-"], [p.name[:7] for p in (tmpdir / left[0]).iterdir()]
        )

    def test_leak_action_fail_fails_the_leaking_tests_only(self):
        run = self.run_cli(
            "-m",
            "testtools.run",
            "suite.test_unchanged",
            FIXTURESTMP_LEAK_CHECKS="environ",
            FIXTURESTMP_LEAK_ACTION="fail",
        )
        self.assertEqual(1, run.returncode, run.stdout + run.stderr)
        output = run.stdout + run.stderr
        self.assertThat(output, Contains("FAILED (failures=2)"))
        self.assertThat(output, Contains("leak-environ"))  # testtools' detail
        for kind in ("TestTesttools", "TestUnittest"):
            self.assertThat(output, Contains(f"{kind}.test_leaves_a_variable"))

    def test_without_the_setting_nothing_is_checked(self):
        run = self.run_cli("-m", "testtools.run", "suite.test_unchanged")
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        self.assertThat(run.stderr, Not(Contains("LEAKED")))

    def test_a_setting_that_applies_to_nothing_says_so_once(self):
        run = self.run_cli("-c", "pass", FIXTURESTMP_LEAK_CHECKS="environ")
        self.assertEqual(0, run.returncode, run.stderr)
        warnings = [
            line for line in run.stderr.splitlines() if "applied to no test" in line
        ]
        self.assertEqual(1, len(warnings), run.stderr)
        self.assertThat(warnings[0], Contains("leak_checks (environ)"))
