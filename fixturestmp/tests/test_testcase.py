"""Tests for fixturestmp.TestCase: tmp_path and the configured leak checks."""

import os
import sys
import tempfile
import threading
from pathlib import Path

import fixtures
from testtools.matchers import Contains, MatchesRegex

import fixturestmp
from fixturestmp._store.manifest import read_manifest
from fixturestmp.tests.support import run_python, write_files
from fixturestmp.tests.support.leaks import (
    LeakTestCase,
    StartsThenFails,
    details_text,
    run_case,
)

ENV_NAME = "FIXTURESTMP_TEST_LEAKED_VARIABLE"


class LeakyTests:
    """Tests that leak one thing each, run by the tests below through
    :func:`leaky`: not a test case itself, so that no runner finds them."""

    release = threading.Event()

    def test_clean(self):
        self.tmp_path.joinpath("f").write_text("x")

    def test_leaves_env(self):
        os.environ[ENV_NAME] = "1"

    def test_leaves_thread(self):
        threading.Thread(
            target=self.release.wait, name="left-behind", daemon=True
        ).start()

    def test_leaves_file(self):
        open(os.path.join(tempfile.gettempdir(), "left.txt"), "w").close()

    def test_cleanup_undoes_it(self):
        os.environ[ENV_NAME] = "1"
        self.addCleanup(os.environ.pop, ENV_NAME)

    def test_cleanup_leaks(self):
        self.addCleanup(os.environ.__setitem__, ENV_NAME, "1")

    def test_uses_tmp_path_and_leaks(self):
        self.tmp_path.joinpath("evidence").write_text("x")
        os.environ[ENV_NAME] = "1"


def leaky(name: str) -> fixturestmp.TestCase:
    """Return the test ``name`` of :class:`LeakyTests`, ready to run."""

    class Leaky(LeakyTests, fixturestmp.TestCase):
        pass

    return Leaky(name)


class TestTmpPath(LeakTestCase):
    def test_tmp_path_is_made_on_first_use_and_removed_after_a_pass(self):
        case = leaky("test_clean")
        self.assertTrue(run_case(case).wasSuccessful())
        self.sess.manifest.flush()  # A passed test's directory is counted.
        records = list(read_manifest(self.sess.path))
        self.assertEqual([("removed", 1)], [(r["kind"], r["count"]) for r in records])
        self.assertEqual([], [p for p in os.listdir(self.sess.path) if p[0] != "."])


class TestConfiguredLeakChecks(LeakTestCase):
    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.EnvironmentVariable(ENV_NAME))
        LeakyTests.release.clear()
        self.addCleanup(LeakyTests.release.set)

    def configure(self, checks, action=None):
        self.useFixture(fixtures.EnvironmentVariable("FIXTURESTMP_LEAK_CHECKS", checks))
        self.useFixture(fixtures.EnvironmentVariable("FIXTURESTMP_LEAK_ACTION", action))

    def run_leaky(self, name):
        case = leaky(name)
        result = run_case(case)
        return case, result

    def test_no_checks_unless_configured(self):
        case, result = self.run_leaky("test_leaves_env")
        self.assertTrue(result.wasSuccessful())
        self.assertEqual({}, details_text(case))
        self.assertEqual([], self.leak_records())

    def test_each_leak_is_reported_under_its_check_name(self):
        self.configure("environ,threads,files")
        expected = {
            "test_leaves_env": ("environ", f"environment change {ENV_NAME} set"),
            "test_leaves_thread": ("threads", "thread left-behind"),
            "test_leaves_file": ("files", "temp entry left.txt"),
        }
        for name, (check, what) in expected.items():
            case, result = self.run_leaky(name)
            self.assertTrue(result.wasSuccessful(), result.errors)
            self.assertEqual(
                {f"leak-{check}": f"LEAKED {what} in {case.id()}"},
                {key: text.split("\n")[0] for key, text in details_text(case).items()},
            )
            os.environ.pop(ENV_NAME, None)
        self.assertEqual(
            sorted((check, leaky(name).id()) for name, (check, _) in expected.items()),
            sorted((r["check"], r["id"]) for r in self.leak_records()),
        )

    def test_measured_after_the_last_cleanup(self):
        self.configure("environ")
        case, _ = self.run_leaky("test_cleanup_undoes_it")
        self.assertEqual({}, details_text(case))
        case, _ = self.run_leaky("test_cleanup_leaks")
        self.assertEqual(["leak-environ"], list(details_text(case)))

    def test_fixture_failing_half_way_in_setup_is_reported(self):
        self.configure("processes")
        failing = StartsThenFails(self.child)

        class Case(fixturestmp.TestCase):
            def setUp(self):
                super().setUp()
                self.useFixture(failing)

            def test_it(self):
                pass

        case = Case("test_it")
        result = run_case(case)
        self.assertThat(result.errors[0][1], Contains("setUp failed half-way"))
        [(child, _)] = failing.started
        self.assertThat(
            details_text(case)["leak-processes"],
            Contains(f"LEAKED process {child.pid} ("),
        )

    def test_leak_action_fail_fails_the_test_and_keeps_its_directory(self):
        self.configure("environ", action="fail")
        _, result = self.run_leaky("test_uses_tmp_path_and_leaks")
        [(_, text)] = result.failures
        self.assertThat(text, Contains(f"LEAKED environment change {ENV_NAME} set"))
        [record] = [r for r in read_manifest(self.sess.path) if r["kind"] == "test"]
        self.assertEqual(("failed", True), (record["outcome"], record["retained"]))
        self.assertTrue((Path(record["path"]) / "evidence").exists())

    def test_bad_configuration_errors_the_test_and_says_why(self):
        self.configure("environ,disk")
        _, result = self.run_leaky("test_clean")
        [(_, text)] = result.errors
        self.assertThat(text, Contains("FIXTURESTMP_LEAK_CHECKS"))
        self.assertThat(text, Contains("unknown check 'disk'"))


STESTR_SUITE = {
    ".stestr.conf": """
        [DEFAULT]
        test_path=./leaky
        top_dir=./
    """,
    "setup.cfg": """
        [fixturestmp]
        leak_checks = files, processes, threads, environ, fds
    """,
    "leaky/__init__.py": "",
    "leaky/test_leaky.py": """
        import os
        import subprocess
        import sys
        import tempfile
        import threading

        import fixturestmp

        # Children live until the worker exits and closes their stdin.
        CHILDREN = []


        class TestLeaky(fixturestmp.TestCase):
            def test_clean(self):
                self.tmp_path.joinpath("f").write_text("x")

            def test_leaves_file(self):
                path = os.path.join(tempfile.gettempdir(), "left-by-test.txt")
                open(path, "w").close()

            def test_leaves_thread(self):
                threading.Thread(
                    target=threading.Event().wait, name="left-behind", daemon=True
                ).start()

            def test_leaves_env(self):
                os.environ["LEFT_BY_TEST"] = "1"

            def test_leaves_process(self):
                CHILDREN.append(subprocess.Popen(
                    [sys.executable, "-c", "import sys; sys.stdin.read()"],
                    stdin=subprocess.PIPE,
                ))
    """,
}


class TestUnderStestr(LeakTestCase):
    def test_stestr_workers_report_details_and_the_run_summary(self):
        write_files(self.workdir, STESTR_SUITE)
        env = {"TMPDIR": str(self.tmpdir), "FIXTURESTMP_ROOT": str(self.root)}
        done = run_python(
            [
                "-m",
                "fixturestmp.cli",
                "run",
                "--retention-policy",
                "all",
                "--",
                sys.executable,
                "-m",
                "stestr",
                "run",
                "--concurrency",
                "2",
            ],
            self.workdir,
            env,
        )
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)
        prefix = "leaky.test_leaky.TestLeaky."
        expected = {
            "files": f"LEAKED temp entry left-by-test.txt in {prefix}test_leaves_file",
            "threads": f"LEAKED thread left-behind in {prefix}test_leaves_thread",
            "environ": (
                f"LEAKED environment change LEFT_BY_TEST set in {prefix}test_leaves_env"
            ),
        }
        # The run's summary, from every worker, comes last.
        lines = done.stderr.splitlines()
        first = next(i for i, line in enumerate(lines) if line.startswith("LEAKED "))
        summary = lines[first:]
        self.assertTrue(all(line.startswith("LEAKED ") for line in summary), summary)
        for line in expected.values():
            self.assertIn(line, summary)
        self.assertThat(
            "\n".join(summary),
            MatchesRegex(
                r".*LEAKED process \d+ \(python\S* -c .*test_leaves_process", 16
            ),
        )
        [session] = set(self.sessions()) - {self.sess.path.name}
        records = [
            r for r in read_manifest(self.base / session) if r.get("kind") == "leak"
        ]
        found = {(r["check"], r["id"].rpartition(".")[2]) for r in records}
        self.assertTrue(
            {
                ("files", "test_leaves_file"),
                ("threads", "test_leaves_thread"),
                ("environ", "test_leaves_env"),
                ("processes", "test_leaves_process"),
            }
            <= found,
            found,
        )
        # Only the files check can see another worker's leak, in a shared
        # temporary directory.
        self.assertNotIn(
            "test_clean", {test for check, test in found if check != "files"}
        )
        last = run_python(
            ["-m", "stestr", "last", "--all-attachments"], self.workdir, env
        )
        for check, line in expected.items():
            self.assertThat(last.stdout, Contains(f"leak-{check}"))
            self.assertThat(last.stdout, Contains(line))
        self.assertThat(last.stdout, Contains("leak-processes"))
