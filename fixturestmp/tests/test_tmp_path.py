"""Tests for fixturestmp.tmp_path: pytest's tmp_path on a fixturestmp
session, with real pytest (and pytest-xdist) runs."""

import json
import os
import re
import sys

from testtools.matchers import Contains, DirExists, Not, StartsWith

from fixturestmp._store.manifest import read_manifest
from fixturestmp.tests.support import (
    IsolatedTestCase,
    run_cli,
    run_python,
    write_files,
)

SUITE = {
    "test_suite.py": """
        import pytest


        def test_passes(tmp_path):
            (tmp_path / "made").write_text("by a passing test")


        def test_fails(tmp_path):
            (tmp_path / "evidence.txt").write_text("the last words")
            assert False, "planted"


        @pytest.fixture
        def breaks_at_setup(tmp_path):
            (tmp_path / "setup.txt").write_text("before the error")
            raise RuntimeError("setup broke")


        def test_setup_error(breaks_at_setup):
            pass


        @pytest.fixture
        def breaks_at_teardown():
            yield
            raise RuntimeError("teardown broke")


        def test_teardown_error(tmp_path, breaks_at_teardown):
            (tmp_path / "teardown.txt").write_text("before the error")


        def test_skipped(tmp_path):
            pytest.skip("not today")


        def test_factory(tmp_path_factory, tmpdir, tmpdir_factory):
            made = tmp_path_factory.mktemp("data")
            assert made.name == "data0"
            assert made.parent == tmp_path_factory.getbasetemp()
            assert tmpdir_factory.mktemp("foo-").basename == "foo-0"
            assert tmpdir.check(dir=1)
            for bad in ("../out", "/abs", "a/b"):
                with pytest.raises(ValueError):
                    tmp_path_factory.mktemp(bad)
            print("PATHS", tmpdir, made)
    """,
}

#: Each test's outcome as pytest reports it, and whether its tmp_path stays.
KEPT = {"test_fails0", "test_setup_error0", "test_teardown_error0"}


def summary(output: str) -> list[str]:
    """Return the lines of the ``fixturestmp`` section of pytest's summary."""
    lines = output.splitlines()
    for number, line in enumerate(lines):
        if re.match(r"=+ fixturestmp =+$", line):
            section = []
            for text in lines[number + 1 :]:
                if text.startswith("="):
                    break
                section.append(text)
            return section
    return []


class TmpPathTestCase(IsolatedTestCase):
    def setUp(self):
        super().setUp()
        write_files(self.workdir, SUITE)

    def pytest(self, *args: str, env: dict[str, str] | None = None):
        # Only the plugins named here: others installed must not change
        # what is compared.
        plugins = ["-p", "no:cacheprovider", "-p", "fixturestmp.pytest_plugin"]
        if "-n" in args:
            plugins += ["-p", "xdist.plugin"]
        full_env = {
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            "FIXTURESTMP_ROOT": str(self.root),
            **(env or {}),
        }
        return run_python(
            ["-m", "pytest", "-rA", *plugins, *args], self.workdir, full_env
        )

    def session_dirs(self, session: str = "run-0") -> set[str]:
        path = self.base / session
        return {p.name for p in path.iterdir() if not p.name.startswith(".")}


class TestOff(TmpPathTestCase):
    def test_pytest_tmp_path_is_untouched_without_the_option(self):
        run = self.pytest("-k", "factory", "-s")
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        self.assertThat(run.stdout, Contains("pytest-of-"))
        self.assertFalse(self.base.exists())


class TestWaysToTurnItOn(TmpPathTestCase):
    def check_served(self, *args: str, env: dict[str, str] | None = None) -> None:
        run = self.pytest("-k", "factory", "-s", *args, env=env)
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        self.assertThat(run.stdout, Contains(f"PATHS {self.base}/run-0/test_factory0"))
        self.assertNotIn("pytest-of-", run.stdout)

    def test_plugin_option(self):
        self.check_served("-p", "fixturestmp.tmp_path")

    def test_command_line_option(self):
        self.check_served("--fixturestmp-tmp-path")

    def test_ini_option(self):
        write_files(
            self.workdir, {"pytest.ini": "[pytest]\nfixturestmp_tmp_path = true\n"}
        )
        self.check_served()

    def test_fixturestmp_configuration(self):
        self.check_served(env={"FIXTURESTMP_PYTEST_TMP_PATH": "1"})

    def test_bad_configuration_value_is_a_usage_error(self):
        run = self.pytest(env={"FIXTURESTMP_PYTEST_TMP_PATH": "maybe"})
        self.assertEqual(4, run.returncode, run.stdout + run.stderr)
        self.assertThat(run.stderr, Contains("FIXTURESTMP_PYTEST_TMP_PATH"))
        self.assertThat(run.stderr, Contains("use true or false"))

    def test_without_the_outcome_plugin_is_a_usage_error(self):
        run = run_python(
            ["-m", "pytest", "-p", "no:cacheprovider", "-p", "fixturestmp.tmp_path"],
            self.workdir,
            {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "FIXTURESTMP_ROOT": str(self.root)},
        )
        self.assertEqual(4, run.returncode, run.stdout + run.stderr)
        self.assertThat(run.stderr, Contains("-p fixturestmp.pytest_plugin"))
        self.assertFalse(self.base.exists())


class TestOutcomes(TmpPathTestCase):
    def setUp(self):
        super().setUp()
        self.run = self.pytest("-p", "fixturestmp.tmp_path")
        self.output = self.run.stdout + self.run.stderr
        self.session = self.base / "run-0"

    def test_results_are_pytest_s(self):
        self.assertEqual(1, self.run.returncode, self.output)
        self.assertThat(
            self.output, Contains("1 failed, 3 passed, 1 skipped, 2 errors")
        )

    def test_a_failure_in_any_phase_keeps_the_directory_and_nothing_else(self):
        # The session holds the kept directories and tmp_path_factory's own.
        self.assertEqual(KEPT | {"data0", "foo-0"}, self.session_dirs(), self.output)
        self.assertEqual(
            "the last words",
            (self.session / "test_fails0" / "evidence.txt").read_text(),
        )
        for name, left in [
            ("test_setup_error0", "setup.txt"),
            ("test_teardown_error0", "teardown.txt"),
        ]:
            self.assertTrue((self.session / name / left).exists(), name)

    def test_the_failure_report_has_the_path_and_the_listing(self):
        kept = self.session / "test_fails0"
        sections = re.findall(
            r"-+ fixturestmp tmp_path -+\n(.*?)\n(.*?)\n(.*?)\n", self.output
        )
        self.assertIn(
            (str(kept), "retained: the test failed and retention_policy is failed",
             "evidence.txt  (14 bytes)"),
            sections,
        )  # fmt: skip
        # One section a failing test: setup, call and teardown failures.
        self.assertEqual(3, len(sections), self.output)

    def test_the_summary_names_each_kept_directory(self):
        lines = summary(self.output)
        self.assertThat(
            lines[0], StartsWith("fixturestmp: 6 temporary directories, 3 of failed")
        )
        failed = sorted(line for line in lines if line.startswith("FAILED "))
        self.assertEqual(
            [
                f"FAILED test_suite.py::test_fails  {self.session}/test_fails0",
                f"FAILED test_suite.py::test_setup_error  "
                f"{self.session}/test_setup_error0",
                f"FAILED test_suite.py::test_teardown_error  "
                f"{self.session}/test_teardown_error0",
            ],
            failed,
        )
        self.assertNotIn("UNRECORDED", self.output)

    def test_fixturestmp_ls_reads_the_pytest_run(self):
        listed = json.loads(
            run_cli("ls", "--json", cwd=self.workdir, root=self.root).stdout
        )
        self.assertEqual(
            {
                ("test_suite.py::test_fails", "failed", True),
                ("test_suite.py::test_setup_error", "failed", True),
                ("test_suite.py::test_teardown_error", "failed", True),
            },
            {(t["id"], t["outcome"], t["retained"]) for t in listed[0]["tests"]},
        )
        shown = run_cli("show", "test_fails", cwd=self.workdir, root=self.root)
        self.assertThat(shown.stdout, Contains(str(self.session / "test_fails0")))
        dest = self.workdir / "collected"
        collected = run_cli("collect", str(dest), cwd=self.workdir, root=self.root)
        self.assertEqual(0, collected.returncode, collected.stderr)
        copy = dest / "run-0" / "tests" / "test_fails0" / "evidence.txt"
        self.assertEqual("the last words", copy.read_text())
        report = run_cli("report", "--json", cwd=self.workdir, root=self.root)
        self.assertEqual(0, report.returncode, report.stderr)
        self.assertThat(report.stdout, Contains("test_suite.py::test_fails"))


class TestRetention(TmpPathTestCase):
    def test_pytest_s_retention_options_apply(self):
        write_files(
            self.workdir,
            {
                "pytest.ini": """
                    [pytest]
                    tmp_path_retention_policy = all
                    tmp_path_retention_count = 1
                """
            },
        )
        for _ in range(2):
            run = self.pytest("-p", "fixturestmp.tmp_path", "-k", "passes")
            self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        # Policy all: the passing test's directory stays; count 1: one run.
        self.assertEqual(["run-1"], self.sessions())
        self.assertEqual(
            "by a passing test",
            (self.base / "run-1" / "test_passes0" / "made").read_text(),
        )

    def test_fixturestmp_s_policy_applies_where_pytest_s_is_not_set(self):
        run = self.pytest("-p", "fixturestmp.tmp_path", "-k", "passes")
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        # Policy failed and nothing failed: the session went at the end.
        self.assertEqual([], self.sessions())

    def test_basetemp_is_emptied_of_what_fixturestmp_made(self):
        basetemp = self.workdir / "bt"
        for _ in range(2):
            run = self.pytest(
                "-p", "fixturestmp.tmp_path", "-k", "fails", f"--basetemp={basetemp}"
            )
            self.assertEqual(1, run.returncode, run.stdout + run.stderr)
        self.assertEqual(
            ["test_fails0"],
            sorted(p.name for p in basetemp.iterdir() if not p.name.startswith(".")),
        )

    def test_basetemp_holding_other_files_is_refused_and_untouched(self):
        basetemp = self.workdir / "bt"
        basetemp.mkdir()
        (basetemp / "mine.txt").write_text("not yours")
        run = self.pytest("-p", "fixturestmp.tmp_path", f"--basetemp={basetemp}")
        self.assertEqual(4, run.returncode, run.stdout + run.stderr)
        self.assertThat(run.stderr, Contains("basetemp"))
        self.assertEqual("not yours", (basetemp / "mine.txt").read_text())
        self.assertEqual(["mine.txt"], os.listdir(basetemp))


class TestXdist(TmpPathTestCase):
    def test_one_session_holds_every_worker_s_kept_directories(self):
        write_files(
            self.workdir,
            {
                "test_workers.py": """
                    import os


                    def test_fails_a(tmp_path):
                        (tmp_path / "pid").write_text(str(os.getpid()))
                        assert False


                    def test_fails_b(tmp_path):
                        (tmp_path / "pid").write_text(str(os.getpid()))
                        assert False
                """
            },
        )
        run = self.pytest("-p", "fixturestmp.tmp_path", "-n", "2", "test_workers.py")
        self.assertEqual(1, run.returncode, run.stdout + run.stderr)
        self.assertEqual(["run-0"], self.sessions())
        session = self.base / "run-0"
        self.assertEqual({"test_fails_a0", "test_fails_b0"}, self.session_dirs())
        pids = {(session / name / "pid").read_text() for name in self.session_dirs()}
        self.assertEqual(2, len(pids), "both tests ran in one worker")
        records = [r for r in read_manifest(session) if r.get("kind") == "test"]
        self.assertEqual(2, len({r["pid"] for r in records}))
        failed = [line for line in summary(run.stdout) if line.startswith("FAILED")]
        self.assertEqual(2, len(failed), run.stdout)


class TestUnderTheWrapper(TmpPathTestCase):
    def test_pytest_joins_the_wrapper_s_session_which_says_what_it_kept(self):
        run = run_cli(
            "run", "--", sys.executable, "-m", "pytest",
            "-p", "no:cacheprovider", "-p", "fixturestmp.pytest_plugin",
            "-p", "fixturestmp.tmp_path", "-k", "fails",
            cwd=self.workdir, root=self.root,
            env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        )  # fmt: skip
        self.assertEqual(1, run.returncode, run.stdout + run.stderr)
        self.assertEqual([], summary(run.stdout))  # pytest says nothing,
        self.assertThat(  # the wrapper does.
            run.stderr,
            Contains(
                f"FAILED test_suite.py::test_fails  {self.base}/run-0/test_fails0"
            ),
        )
        self.assertThat(str(self.base / "run-0" / "test_fails0"), DirExists())
        self.assertThat(str(self.base / "run-1"), Not(DirExists()))


class TestPytestInsideATest(TmpPathTestCase):
    def test_an_inner_run_leaves_the_outer_test_s_outcome_known(self):
        # pytester runs pytest inside a test, in the same process: the
        # inner session's end must not leave the outer test unwatched.
        write_files(
            self.workdir,
            {
                "test_outer.py": """
                    from fixturestmp import TempDirFixture


                    def test_outer(pytester):
                        pytester.makepyfile(test_inner="def test_inner(tmp_path): pass")
                        # With a --basetemp in the outer session: a session
                        # of its own, inside the outer one.
                        pytester.runpytest().assert_outcomes(passed=1)
                        # Made after the inner run: it learns the outer
                        # test's outcome only if the watch still runs.
                        with TempDirFixture("after_inner") as tmp:
                            (tmp.path / "outer.txt").write_text("after the inner run")
                        assert False, "the outer test fails"
                """
            },
        )
        run = self.pytest(
            "-p", "pytester", "-p", "fixturestmp.tmp_path", "test_outer.py",
            env={"PYTEST_PLUGINS": "fixturestmp.pytest_plugin,fixturestmp.tmp_path"},
        )  # fmt: skip
        self.assertEqual(1, run.returncode, run.stdout + run.stderr)
        kept = self.base / "run-0" / "after_inner0" / "outer.txt"
        # The inner session's directory is the outer session's own.
        self.assertNotIn("UNRECORDED", run.stdout)
        self.assertEqual("after the inner run", kept.read_text())
        self.assertThat(
            summary(run.stdout),
            Contains(f"FAILED test_outer.py::test_outer  {kept.parent}"),
        )


class TestWorkingDirectory(TmpPathTestCase):
    def test_a_directory_the_process_is_left_in_is_kept(self):
        # A passing test changes into its tmp_path and does not change back:
        # removing it would break os.getcwd() for every later test (pytest's
        # default policy, all, never removes it).
        write_files(
            self.workdir,
            {
                "test_cwd.py": """
                    import os


                    def test_changes_into_it(tmp_path):
                        os.chdir(tmp_path)


                    def test_later(tmp_path):
                        assert os.getcwd()


                    def test_zz_fails(tmp_path):
                        assert False, "so that the session stays to be read"
                """
            },
        )
        run = self.pytest("-p", "fixturestmp.tmp_path", "test_cwd.py")
        self.assertEqual(1, run.returncode, run.stdout + run.stderr)
        self.assertThat(run.stdout, Contains("1 failed, 2 passed"))
        self.assertThat(str(self.base / "run-0" / "test_changes_into_it0"), DirExists())
        listed = json.loads(
            run_cli("ls", "--json", cwd=self.workdir, root=self.root).stdout
        )
        self.assertEqual(
            [
                ("test_cwd.py::test_changes_into_it", "passed", True),
                ("test_cwd.py::test_zz_fails", "failed", True),
            ],
            [(t["id"], t["outcome"], t["retained"]) for t in listed[0]["tests"]],
        )


class TestMemory(TmpPathTestCase):
    def test_a_reported_test_s_directory_is_not_held_by_its_item(self):
        # pytest keeps every item to the session's end: what it holds of a
        # test that is over stays alive, and every full collection of the
        # garbage collector walks it again.
        write_files(
            self.workdir,
            {
                "test_many.py": """
                    import gc

                    import pytest

                    from fixturestmp._fixtures.directory import _Directory


                    @pytest.mark.parametrize("n", range(50))
                    def test_uses_it(n, tmp_path):
                        (tmp_path / "data").write_text("x")


                    def test_zz_count():
                        gc.collect()
                        objects = gc.get_objects()
                        alive = [o for o in objects if isinstance(o, _Directory)]
                        assert alive == [], len(alive)
                """
            },
        )
        run = self.pytest("-p", "fixturestmp.tmp_path", "test_many.py")
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        self.assertThat(run.stdout, Contains("51 passed"))
