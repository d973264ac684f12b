"""Tests for fixturestmp._fixtures.tempdir."""

import json
import os
import re
import sys
from pathlib import Path

import fixtures
import testtools
from testtools.content import text_content
from testtools.matchers import Contains

import fixturestmp
from fixturestmp._store.manifest import MANIFEST_NAME
from fixturestmp.tests.support import (
    IsolatedTestCase,
    run_cli,
    run_python,
    write_files,
)

SUITE = """
    import unittest

    import fixtures
    import testtools
    from testtools.matchers import Equals

    from fixturestmp import TempDirFixture


    class TestOutcomes(testtools.TestCase):

        def use_dir(self):
            d = self.useFixture(TempDirFixture())
            (d.path / "evidence.txt").write_text("evidence")
            return d

        def test_pass(self):
            self.use_dir()

        def test_fail(self):
            self.use_dir()
            self.fail("the test body fails")

        def test_error(self):
            self.use_dir()
            raise RuntimeError("the test body errors")

        def test_expect_that(self):
            self.use_dir()
            self.expectThat(1, Equals(2))

        def test_skip(self):
            self.use_dir()
            self.skipTest("skipped on purpose")

        @unittest.expectedFailure
        def test_expected_failure(self):
            self.use_dir()
            self.fail("expected")

        def test_cleanup_error_before(self):
            self.use_dir()
            self.addCleanup(self.explode)

        def test_cleanup_error_after(self):
            self.addCleanup(self.explode)
            self.use_dir()

        def explode(self):
            raise RuntimeError("a cleanup errors")


    class TestSetUpError(testtools.TestCase):

        def setUp(self):
            super().setUp()
            self.useFixture(TempDirFixture())
            raise RuntimeError("setUp errors")

        def test_setup_error(self):
            pass


    class TestTearDownError(testtools.TestCase):

        def setUp(self):
            super().setUp()
            self.useFixture(TempDirFixture())

        def tearDown(self):
            super().tearDown()
            raise RuntimeError("tearDown errors")

        def test_teardown_error(self):
            pass
"""

FAILING = {
    "test_fail",
    "test_error",
    "test_expect_that",
    "test_cleanup_error_before",
    "test_cleanup_error_after",
    "test_setup_error",
    "test_teardown_error",
}
PASSING = {"test_pass", "test_skip", "test_expected_failure"}


class TestUnderStestr(IsolatedTestCase):
    """A real testtools suite run by a real ``stestr run --concurrency 2``."""

    def run_suite(self, policy: str) -> tuple[set[str], str]:
        project = self.workdir
        write_files(
            project,
            {
                ".stestr.conf": "[DEFAULT]\ntest_path=./suite\ntop_dir=./\n",
                "suite/__init__.py": "",
                "suite/test_outcomes.py": SUITE,
            },
        )
        env = {
            "FIXTURESTMP_ROOT": str(self.root),
            "FIXTURESTMP_RETENTION_POLICY": policy,
        }
        run = run_python(["-m", "stestr", "run", "--concurrency", "2"], project, env)
        self.assertEqual(1, run.returncode, run.stdout + run.stderr)
        last = run_python(["-m", "stestr", "last"], project, env)
        kept = {
            re.sub(r"\d+$", "", path.name)
            for session in self.sessions()
            for path in (self.base / session).iterdir()
            if not path.name.startswith(".")
        }
        return kept, last.stdout

    def test_failed_policy_keeps_exactly_failing_tests(self):
        kept, report = self.run_suite("failed")
        self.assertEqual(FAILING, kept)
        for session in self.sessions():
            for path in (self.base / session).iterdir():
                if not path.name.startswith("."):
                    self.assertThat(report, Contains(str(path)))
        self.assertThat(report, Contains("retained: the test failed"))
        self.assertThat(report, Contains("evidence.txt"))

    def test_all_policy_keeps_every_directory(self):
        kept, _ = self.run_suite("all")
        self.assertEqual(FAILING | PASSING, kept)

    def test_none_policy_leaves_nothing(self):
        kept, _ = self.run_suite("none")
        self.assertEqual(set(), kept)
        self.assertEqual([], self.sessions())


OUTSIDE_A_TEST = """
    import json
    import sys

    import fixturestmp

    session = fixturestmp.SessionTempFixture(root=sys.argv[1])
    session.setUp()
    seen = {}


    def note(name, fixture, details=None):
        details = details or fixture.getDetails()
        seen[name] = [str(fixture.path), details["tmp-path"].as_text()]


    try:
        with fixturestmp.TempDirFixture(session=session) as tmp:
            (tmp.path / "data").write_text("x")
            raise ValueError("the block fails")
    except ValueError:
        pass
    seen["raised"] = [str(tmp.path), tmp._directory.detail.as_text()]

    with fixturestmp.TempDirFixture(session=session) as tmp:
        (tmp.path / "data").write_text("x")
        before = tmp.getDetails()
    note("ended", tmp, before)

    with fixturestmp.TempDirFixture(session=session) as tmp:
        tmp.mark_failed()
    seen["marked"] = [str(tmp.path), tmp._directory.detail.as_text()]

    early = fixturestmp.TempDirFixture(session=session)
    early.mark_failed()
    early.setUp()
    early.cleanUp()
    seen["marked early"] = [str(early.path), early._directory.detail.as_text()]

    manual = fixturestmp.TempDirFixture(session=session)
    manual.setUp()
    manual.cleanUp()
    seen["by hand"] = [str(manual.path), manual._directory.detail.as_text()]


    class FailingSetUp(fixturestmp.TempDirFixture):
        def _setUp(self):
            super()._setUp()
            (self.path / "half-made").write_text("state before the failure")
            raise RuntimeError("_setUp fails after super()._setUp()")


    failing = FailingSetUp(session=session)
    try:
        failing.setUp()
    except Exception as error:
        details = error.args[-1][1].args[0]
    seen["setUp failed"] = [str(failing.path), details["tmp-path"].as_text()]
    print(json.dumps(seen))
"""


class TestOutsideAnyTest(IsolatedTestCase):
    """Used by a plain script, the fixture decides on what the script shows."""

    def run_script(self, policy: str) -> dict[str, tuple[bool, str]]:
        write_files(self.workdir, {"script.py": OUTSIDE_A_TEST})
        env = {"FIXTURESTMP_RETENTION_POLICY": policy}
        run = run_python(["script.py", str(self.root)], self.workdir, env)
        self.assertEqual(0, run.returncode, run.stderr)
        seen = json.loads(run.stdout)
        return {
            name: (Path(path).is_dir(), text) for name, (path, text) in seen.items()
        }

    def test_failed_policy(self):
        seen = self.run_script("failed")
        expected = {
            "raised": (True, "retained: its with block raised"),
            "ended": (False, "removed: its with block ended without error"),
            "marked": (True, "retained: it was marked failed"),
            "marked early": (True, "retained: it was marked failed"),
            "by hand": (True, "kept: outcome unknown"),
            "setUp failed": (True, "retained: an error was raised as"),
        }
        self.assertEqual(
            expected,
            {
                name: (exists, text.splitlines()[1][: len(expected[name][1])])
                for name, (exists, text) in seen.items()
            },
        )
        self.assertThat(seen["by hand"][1], Contains("mark_failed()"))

    def test_none_policy_removes_even_a_failed_setup(self):
        seen = self.run_script("none")
        self.assertEqual(
            {name: False for name in seen}, {name: e for name, (e, _) in seen.items()}
        )
        self.assertThat(seen["setUp failed"][1], Contains("removed: an error was"))


class TestInsideATest(IsolatedTestCase):
    def test_names_are_numbered_and_never_collide(self):
        session = self.useFixture(self.session(retention_policy="all"))
        paths = [
            self.useFixture(fixturestmp.TempDirFixture("same", session=session)).path
            for _ in range(3)
        ]
        self.assertEqual(["same0", "same1", "same2"], [p.name for p in paths])
        unnamed = self.useFixture(fixturestmp.TempDirFixture(session=session))
        self.assertEqual("test_names_are_numbered_and_ne0", unnamed.path.name)

    def test_path_before_setup_says_what_to_do(self):
        fixture = fixturestmp.TempDirFixture()
        error = self.assertRaises(AttributeError, lambda: fixture.path)
        self.assertThat(str(error), Contains("useFixture(TempDirFixture()).path"))


class FailingSetUp(fixturestmp.TempDirFixture):
    def _setUp(self):
        super()._setUp()
        (self.path / "half-made").write_text("state before the failure")
        raise RuntimeError("_setUp fails after super()._setUp()")


class TestHostileNames(IsolatedTestCase):
    def test_names_stay_inside_the_session_and_short(self):
        session = self.useFixture(self.session(retention_policy="all"))
        hostile = ["../../escape", "a/b/c", "..", "nul\0byte", "x" * 300, "ünïcødé名"]
        for name in hostile:
            path = self.useFixture(
                fixturestmp.TempDirFixture(name, session=session)
            ).path
            self.assertEqual(session.path, path.parent)
            self.assertLessEqual(len(path.name), 31)
            self.assertRegex(path.name, r"^[A-Za-z0-9_]+$")
        made = [n for n in os.listdir(session.path) if not n.startswith(".")]
        self.assertEqual(len(hostile), len(made))


class TestUnittestMixin(IsolatedTestCase):
    def test_plain_unittest_outcomes(self):
        import unittest

        session = self.useFixture(self.session(retention_policy="failed"))

        class Case(fixturestmp.OutcomeMixin, unittest.TestCase):
            def use(self):
                return self.useFixture(fixturestmp.TempDirFixture(session=session))

            def test_pass(self):
                self.use()

            def test_fail(self):
                self.use()
                self.fail("no")

            def test_skip(self):
                self.use()
                self.skipTest("skip")

            @unittest.expectedFailure
            def test_xfail(self):
                self.use()
                self.fail("expected")

            def test_cleanup_error(self):
                self.addCleanup(lambda: 1 / 0)
                self.use()

        suite = unittest.TestLoader().loadTestsFromTestCase(Case)
        unittest.TextTestRunner(stream=open(os.devnull, "w")).run(suite)
        kept = sorted(
            re.sub(r"\d+$", "", p.name)
            for p in Path(session.path).iterdir()
            if not p.name.startswith(".")
        )
        self.assertEqual(["test_cleanup_error", "test_fail"], kept)


class TestCaseDetails(IsolatedTestCase):
    """The case's ``tmp-path`` details say how each directory ended."""

    def run_case(self, body) -> dict[str, str]:
        session = self.useFixture(self.session(retention_policy="failed"))

        class Case(testtools.TestCase):
            def test_it(self):
                body(self, session)

        result = testtools.TestResult()
        case = Case("test_it")
        case.run(result)
        return {name: content.as_text() for name, content in case.getDetails().items()}

    def test_failed_test_has_one_final_detail_and_a_listing(self):
        def body(case, session):
            tmp = case.useFixture(fixturestmp.TempDirFixture(session=session))
            (tmp.path / "evidence.txt").write_text("x")
            case.fail("fails")

        details = self.run_case(body)
        self.assertEqual(["tmp-path", "tmp-path-listing", "traceback"], sorted(details))
        self.assertThat(details["tmp-path"], Contains("retained: the test failed"))
        self.assertThat(details["tmp-path-listing"], Contains("evidence.txt"))

    def test_a_passing_test_reports_none_of_its_removed_directories(self):
        paths = []

        def body(case, session):
            for _ in range(2):
                tmp = case.useFixture(fixturestmp.TempDirFixture(session=session))
                paths.append(str(tmp.path))

        # A passing test reports neither: they are removed, and its
        # report carries only what is worth reading.
        self.assertEqual({}, self.run_case(body))
        self.assertEqual([False, False], [os.path.exists(p) for p in paths])

    def test_detail_read_again_by_a_later_cleanup_is_still_found(self):
        # Reading the fixture's detail after testtools copied it changes the
        # bytes we remember; the copy must still be found and withdrawn, and a
        # detail of the same name that is not ours left alone.
        def body(case, session):
            case.addDetail("tmp-path", text_content("someone else's"))
            read_later: list = []
            case.addCleanup(lambda: read_later[0].as_text())
            tmp = case.useFixture(fixturestmp.TempDirFixture(session=session))
            read_later.append(tmp.getDetails()["tmp-path"])

        details = self.run_case(body)
        # Ours is withdrawn (the test passed), the other left alone.
        self.assertEqual({"tmp-path": "someone else's"}, details)

    def test_fixture_keeps_its_own_detail_while_the_case_holds_the_same(self):
        seen = {}

        def body(case, session):
            tmp = case.useFixture(fixturestmp.TempDirFixture(session=session))
            seen["fixture"] = tmp.getDetails()["tmp-path"].as_text()
            seen["final"] = tmp.getDetails()["tmp-path"]

        details = self.run_case(body)
        self.assertThat(seen["fixture"], Contains("pending"))
        self.assertEqual({}, details)  # passed: the case reports none
        self.assertThat(seen["final"].as_text(), Contains("removed: the test passed"))

    def test_directory_of_a_fixture_the_case_uses_is_reported_once(self):
        class Outer(fixtures.Fixture):
            def __init__(self, session):
                super().__init__()
                self.session = session

            def _setUp(self):
                self.inner = self.useFixture(
                    fixturestmp.TempDirFixture(session=self.session)
                )

        def body(case, session):
            case.useFixture(Outer(session))
            case.fail("fails")

        details = self.run_case(body)
        self.assertEqual(["tmp-path", "tmp-path-listing", "traceback"], sorted(details))
        self.assertThat(details["tmp-path"], Contains("retained: the test failed"))

    def test_setup_failure_in_a_test_reports_the_directory_once(self):
        def body(case, session):
            case.useFixture(FailingSetUp(session=session))

        details = self.run_case(body)
        names = sorted(n for n in details if n.startswith("tmp-path"))
        self.assertEqual(["tmp-path", "tmp-path-listing"], names)
        self.assertThat(details["tmp-path"], Contains("retained: an error was raised"))
        self.assertThat(details["tmp-path-listing"], Contains("half-made"))


FORKING_SUITE = """
    import os
    import sys
    import unittest

    from fixturestmp import TempDirFixture


    class TestForks(unittest.TestCase):
        def fork(self):
            fixture = TempDirFixture()
            fixture.setUp()
            self.addCleanup(fixture.cleanUp)
            (fixture.path / "evidence").write_text("the parent's")
            pid = os.fork()
            if pid == 0:
                sys.exit(0)  # unwinds its copy of the runner: an error there
            os.waitpid(pid, 0)
            return fixture.path

        def test_parent_passes(self):
            self.fork()

        def test_parent_fails(self):
            self.fork()
            self.fail("the parent fails")
"""


class TestForkedChild(IsolatedTestCase):
    """A forked child that leaves through sys.exit unwinds its copy of the
    test: it never settles, records or removes its parent's directory.
    """

    def test_the_parent_alone_decides(self):
        write_files(
            self.workdir,
            {"suite/__init__.py": "", "suite/test_forks.py": FORKING_SUITE},
        )
        run = run_cli(
            "run", "--", sys.executable, "-m", "unittest", "suite.test_forks",
            cwd=self.workdir, root=self.root,
        )  # fmt: skip
        output = run.stdout + run.stderr
        self.assertEqual(1, run.returncode, output)
        session = self.base / "run-0"
        failed = session / "test_parent_fails0"
        self.assertEqual("the parent's", (failed / "evidence").read_text())
        self.assertFalse((session / "test_parent_passes0").exists(), output)
        # The children ran the suite on after their fork, printing their
        # own results; the summary names the parent's failure alone.
        summary = [
            line
            for line in run.stderr.splitlines()
            if line.startswith(("FAILED suite", "KEPT ", "UNRECORDED "))
        ]
        self.assertEqual(
            [f"FAILED suite.test_forks.TestForks.test_parent_fails  {failed}"],
            summary,
        )
        records = [
            json.loads(line)
            for line in (session / MANIFEST_NAME).read_text().splitlines()
        ]
        # Recorded once, by the parent: the child's copy recorded nothing.
        self.assertEqual(
            [("suite.test_forks.TestForks.test_parent_fails", "failed")],
            [(r["id"], r["outcome"]) for r in records if r["kind"] == "test"],
        )
