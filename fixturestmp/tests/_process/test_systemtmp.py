"""Tests for fixturestmp._process.systemtmp."""

import json
import os
import tempfile

import fixtures

from fixturestmp._process.systemtmp import start_environment, system_tempdir
from fixturestmp.tests.support import IsolatedTestCase, run_python, write_files

OSLOTEST_SUITE = """
    import os

    from oslotest import base

    from fixturestmp import TempDirFixture


    class TestUnderOslotest(base.BaseTestCase):
        # oslotest gives every test a nested tempfile directory that it
        # deletes at the end of the test.

        def use_dir(self):
            tmp = self.useFixture(TempDirFixture())
            (tmp.path / "evidence.txt").write_text("evidence")
            with open(os.environ["PATHS"], "a") as paths:
                paths.write(str(tmp.path) + "\\n")

        def test_a_fails(self):
            self.use_dir()
            self.fail("the first test fails")

        def test_b_passes(self):
            self.use_dir()

        def test_c_fails(self):
            self.use_dir()
            self.fail("a later test fails too")
"""


class TestSystemTempdir(IsolatedTestCase):
    def test_a_patched_tempfile_tempdir_is_not_the_system_one(self):
        self.useFixture(fixtures.NestedTempfile())
        environ = {"TMPDIR": str(self.root)}
        self.assertNotEqual(str(self.root), tempfile.gettempdir())
        self.assertEqual(str(self.root), system_tempdir(environ))

    def test_unusable_candidates_are_passed_over(self):
        environ = {"TMPDIR": str(self.root / "no"), "TEMP": str(self.workdir)}
        self.assertEqual(str(self.workdir), system_tempdir(environ))

    def test_a_tmpdir_set_after_start_is_not_the_system_one(self):
        # The process started without this TMPDIR: a test moved it.
        self.useFixture(fixtures.EnvironmentVariable("TMPDIR", str(self.workdir)))
        self.assertNotIn("TMPDIR", start_environment())
        self.assertNotEqual(str(self.workdir), system_tempdir())

    def test_default_session_under_oslotest_lives_in_the_system_tempdir(self):
        # No fixturestmp run: each test's process makes its default session
        # lazily, inside a test whose tempfile directory oslotest deletes.
        write_files(
            self.workdir, {"suite/__init__.py": "", "suite/test_it.py": OSLOTEST_SUITE}
        )
        paths = self.workdir / "paths.txt"
        env = {"TMPDIR": str(self.root), "PATHS": str(paths)}
        run = run_python(["-m", "testtools.run", "suite.test_it"], self.workdir, env)
        self.assertEqual(1, run.returncode, run.stdout + run.stderr)
        self.assertIn("FAILED (failures=2)", run.stdout + run.stderr)
        made = dict(zip(("a", "b", "c"), paths.read_text().split(), strict=True))
        on_disk = {name: os.path.isdir(path) for name, path in made.items()}
        self.assertEqual({"a": True, "b": False, "c": True}, on_disk, json.dumps(made))
        for name in ("a", "c"):
            self.assertTrue(made[name].startswith(str(self.base)), made[name])


MOVING_SUITE = """
    import fixtures
    import testtools

    from fixturestmp import TempDirFixture


    class TestMovesTheTemporaryDirectory(testtools.TestCase):
        def test_a_moves_it_then_fails(self):
            # Before fixturestmp makes anything: the default session is
            # made while TMPDIR is this test's own directory.
            own = self.useFixture(fixtures.TempDir()).path
            self.useFixture(fixtures.EnvironmentVariable("TMPDIR", own))
            tmp = self.useFixture(TempDirFixture())
            (tmp.path / "evidence.txt").write_text("evidence")
            self.fail("the test fails")

        def test_b_runs_later(self):
            self.useFixture(TempDirFixture())
"""


class TestMovedBeforeTheFirstFixture(IsolatedTestCase):
    def test_the_session_is_made_where_the_process_started(self):
        write_files(
            self.workdir, {"suite/__init__.py": "", "suite/test_it.py": MOVING_SUITE}
        )
        env = {"TMPDIR": str(self.root)}
        run = run_python(["-m", "testtools.run", "suite.test_it"], self.workdir, env)
        output = run.stdout + run.stderr
        self.assertEqual(1, run.returncode, output)
        self.assertIn("FAILED (failures=1)", output)
        kept = self.base / "run-0" / "test_a_moves_it_then_fails0"
        self.assertEqual("evidence", (kept / "evidence.txt").read_text())
        self.assertIn(f"{kept}\nretained: the test failed", output)
