"""Tests for fixturestmp._hooks.startup: ``fixturestmp run --adopt`` on
unchanged suites."""

import os
import re
import subprocess

from testtools.matchers import Contains, DirExists, Not

from fixturestmp._hooks.startup import ADOPT_ENV, PTH_LINE
from fixturestmp._store.basedir import base_name
from fixturestmp.tests.support import (
    REPO_ROOT,
    HookedPython,
    IsolatedTestCase,
    run_cli,
    run_python,
    write_files,
)

# An unchanged OpenStack-style suite: fixtures.TempDir used as a string,
# and fixtures.NestedTempfile around tempfile calls, as oslotest does.
SUITE = """
    import os
    import tempfile
    import unittest

    import fixtures
    import testtools


    def note(path):
        with open(os.environ["PATHS"], "a") as paths:
            paths.write(path + "\\n")


    class TestWithTempDir(testtools.TestCase):
        def use(self):
            tmp = self.useFixture(fixtures.TempDir())
            with open(tmp.path + "/r.txt", "w") as stream:
                stream.write("evidence")
            note(f"{self.id()} tempdir {tmp.path}")

        def test_passes(self):
            self.use()

        def test_fails(self):
            self.use()
            self.fail("fails")


    class TestWithNestedTempfile(fixtures.TestWithFixtures):
        def setUp(self):
            super().setUp()
            self.useFixture(fixtures.NestedTempfile())

        def use(self):
            fd, name = tempfile.mkstemp(suffix=".log")
            os.write(fd, b"evidence")
            os.close(fd)
            note(f"{self.id()} nested {os.path.dirname(name)}")

        def test_passes(self):
            self.use()

        def test_fails(self):
            self.use()
            self.fail("fails")
"""


class AdoptTestCase(IsolatedTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.interpreter = HookedPython(self.root / "venv")
        self.project = self.workdir / "project"
        write_files(
            self.project,
            {
                "suite/__init__.py": "",
                "suite/test_unchanged.py": SUITE,
                ".stestr.conf": "[DEFAULT]\ntest_path=./suite\ntop_dir=./\n",
            },
        )
        self.paths = self.workdir / "paths.txt"
        self.tmpdir = self.root / "system-tmp"
        self.tmpdir.mkdir()

    def run_suite(self, command: list[str], *, adopt: bool, extra_env=None):
        env = {"PATHS": str(self.paths), "TMPDIR": str(self.tmpdir)}
        env.update(extra_env or {})
        adopting = ["--adopt"] if adopt else []
        return run_cli(
            "run", *adopting, "--", self.interpreter.python, *command,
            cwd=self.project, env=env, python=self.interpreter.python, clean=True,
        )  # fmt: skip

    def made(self) -> dict[str, str]:
        """Return ``{"<test id> <kind>": path}`` of what the suite noted."""
        lines = self.paths.read_text().splitlines()
        return {" ".join(line.split()[:2]): line.split()[2] for line in lines}

    def assertAdopted(self, run) -> None:
        output = run.stdout + run.stderr
        made = self.made()
        self.assertEqual(4, len(made), output)
        session = self.tmpdir / base_name() / "run-0"
        for key, path in made.items():
            failed = key.split()[0].endswith("test_fails")
            self.assertTrue(path.startswith(str(session) + "/"), (key, path))
            if failed:
                self.assertThat(path, DirExists())
                self.assertTrue(os.listdir(path), path)
                test_id = key.split()[0]
                self.assertThat(run.stderr, Contains(f"FAILED {test_id}  {path}"))
            else:
                self.assertThat(path, Not(DirExists()))
        self.assertThat(run.stderr, Not(Contains("start-up hook failed")))


class TestAdopt(AdoptTestCase):
    def test_stestr_with_two_workers(self):
        run = self.run_suite(["-m", "stestr", "run", "--concurrency", "2"], adopt=True)
        self.assertEqual(1, run.returncode, run.stdout + run.stderr)
        self.assertAdopted(run)
        # The failed test's detail, in stestr's report.
        path = self.made()["suite.test_unchanged.TestWithTempDir.test_fails tempdir"]
        self.assertThat(run.stdout, Contains(f"{path}\nretained: the test failed"))

    def test_testtools_run(self):
        run = self.run_suite(
            ["-m", "testtools.run", "suite.test_unchanged"], adopt=True
        )
        self.assertEqual(1, run.returncode, run.stdout + run.stderr)
        self.assertAdopted(run)

    def test_unittest(self):
        run = self.run_suite(["-m", "unittest", "suite.test_unchanged"], adopt=True)
        self.assertEqual(1, run.returncode, run.stdout + run.stderr)
        self.assertAdopted(run)

    def test_without_adopt_nothing_changes(self):
        run = self.run_suite(["-m", "unittest", "suite.test_unchanged"], adopt=False)
        self.assertEqual(1, run.returncode, run.stdout + run.stderr)
        for key, path in self.made().items():
            # fixtures' own: in the system temporary directory, and gone.
            self.assertEqual(str(self.tmpdir), os.path.dirname(path), key)
            self.assertThat(path, Not(DirExists()))
        # Nothing kept, so no summary.
        self.assertNotIn("fixturestmp:", run.stderr)
        self.assertNotIn("FAILED suite.", run.stderr)

    def test_the_variable_alone_adopts(self):
        run = self.run_suite(
            ["-m", "unittest", "suite.test_unchanged"],
            adopt=False,
            extra_env={ADOPT_ENV: "1"},
        )
        self.assertEqual(1, run.returncode, run.stdout + run.stderr)
        self.assertAdopted(run)

    def test_a_broken_hook_leaves_the_suite_running_with_one_line(self):
        # A fixturestmp whose adopt module raises, first on the path.
        broken = self.workdir / "broken"
        write_files(
            broken,
            {
                "fixturestmp/__init__.py": "",
                "fixturestmp/_hooks/startup.py": (
                    "raise RuntimeError('adopt is broken')\n"
                ),
            },
        )
        env = {"PYTHONPATH": str(broken), "PATHS": str(self.paths), ADOPT_ENV: "1"}
        env["TMPDIR"] = str(self.tmpdir)
        run = run_python(
            ["-m", "unittest", "suite.test_unchanged"], self.project, env,
            python=self.interpreter.python, clean=True,
        )  # fmt: skip
        self.assertEqual(1, run.returncode, run.stderr)
        self.assertThat(run.stderr, Contains("Ran 4 tests"))
        warnings = [line for line in run.stderr.splitlines() if "fixturestmp" in line]
        self.assertEqual(1, len(warnings), run.stderr)
        self.assertThat(warnings[0], Contains("adopt is broken"))
        self.assertIsNotNone(
            re.match(r"fixturestmp: the start-up hook failed", warnings[0])
        )


class TestAdoptValues(AdoptTestCase):
    """FIXTURESTMP_ADOPT: 1, true, yes on; 0, false, no, empty off; anything
    else refused by ``fixturestmp run``, ignored with one line elsewhere."""

    def run_directly(self, value: str) -> subprocess.CompletedProcess:
        env = {"PATHS": str(self.paths), "TMPDIR": str(self.tmpdir), ADOPT_ENV: value}
        return run_python(
            ["-m", "unittest", "suite.test_unchanged"], self.project, env,
            python=self.interpreter.python, clean=True,
        )  # fmt: skip

    def assertNotAdopted(self) -> None:
        for key, path in self.made().items():
            # fixtures' own: in the system temporary directory, and gone.
            self.assertEqual(str(self.tmpdir), os.path.dirname(path), key)
            self.assertThat(path, Not(DirExists()))
        self.paths.unlink()

    def test_off_values_do_not_adopt(self):
        for value in ("0", "false", "No"):
            run = self.run_directly(value)
            self.assertEqual(1, run.returncode, run.stderr)
            self.assertNotIn("fixturestmp", run.stderr)
            self.assertNotAdopted()

    def test_a_bad_value_in_a_test_process_is_ignored_with_one_line(self):
        run = self.run_directly("maybe")
        self.assertEqual(1, run.returncode, run.stderr)
        said = [line for line in run.stderr.splitlines() if "fixturestmp" in line]
        self.assertEqual(
            [
                "fixturestmp: adopt: 'maybe' from environment variable "
                "FIXTURESTMP_ADOPT is not valid: use 1, true or yes to adopt; 0, "
                "false, no or empty not to; ignored: fixtures.TempDir is not adopted"
            ],
            said,
        )
        self.assertNotAdopted()

    def test_a_bad_value_is_a_usage_error_of_run(self):
        run = self.run_suite(
            ["-m", "unittest", "suite.test_unchanged"],
            adopt=False,
            extra_env={ADOPT_ENV: "maybe"},
        )
        self.assertEqual(2, run.returncode, run.stderr)
        self.assertEqual(
            [
                "fixturestmp run: adopt: 'maybe' from environment variable "
                "FIXTURESTMP_ADOPT is not valid: use 1, true or yes to adopt; 0, "
                "false, no or empty not to"
            ],
            run.stderr.splitlines(),
        )
        # Nothing ran, no session was made.
        self.assertFalse(self.paths.exists())
        self.assertEqual([], os.listdir(self.tmpdir))


class TestPthFile(IsolatedTestCase):
    def test_the_checked_in_file_is_the_line(self):
        pth = REPO_ROOT / "fixturestmp-adopt.pth"
        if not pth.is_file():
            self.skipTest(
                "not a checkout: the .pth file is installed, not beside the code"
            )
        self.assertEqual(PTH_LINE, pth.read_text())
