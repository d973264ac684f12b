"""Tests for fixturestmp._fixtures.dropin: TempDir, a drop-in for fixtures.TempDir."""

import os
import unittest

import fixtures
import testtools
from testtools.matchers import Contains, DirExists, Not

import fixturestmp
from fixturestmp.tests.support import IsolatedTestCase


class TestDropIn(IsolatedTestCase):
    def setUp(self) -> None:
        super().setUp()
        # fixturestmp.TempDir takes no session: it uses the default one.
        self.default = self.useFixture(self.session())
        self.useFixture(
            fixtures.MonkeyPatch("fixturestmp._fixtures.session._default", self.default)
        )

    def run_case(self, body) -> tuple[testtools.TestCase, testtools.TestResult]:
        class Case(testtools.TestCase):
            def test_it(self):
                body(self)

        case, result = Case("test_it"), testtools.TestResult()
        case.run(result)
        return case, result

    def test_it_is_a_fixtures_tempdir_with_a_string_path(self):
        seen = {}

        def body(case):
            tmp = case.useFixture(fixturestmp.TempDir())
            seen["tmp"] = tmp
            with open(tmp.path + "/r.txt", "w") as stream:
                stream.write("x")
            seen["joined"] = tmp.join("a", "b")

        _, result = self.run_case(body)
        self.assertTrue(result.wasSuccessful(), result.errors)
        tmp = seen["tmp"]
        self.assertIsInstance(tmp, fixtures.TempDir)
        self.assertIsInstance(tmp.path, str)
        self.assertEqual(os.path.join(tmp.path, "a", "b"), seen["joined"])
        self.assertEqual("test_it0", os.path.basename(tmp.path))
        self.assertThat(tmp.path, Not(DirExists()))

    def test_a_failed_tests_directory_is_kept_with_its_detail(self):
        seen = {}

        def body(case):
            seen["path"] = case.useFixture(fixturestmp.TempDir()).path
            case.fail("fails")

        case, _ = self.run_case(body)
        self.assertThat(seen["path"], DirExists())
        detail = case.getDetails()["tmp-path"].as_text()
        self.assertEqual(
            [seen["path"], "retained: the test failed and retention_policy is failed"],
            detail.splitlines(),
        )

    def test_rootdir_makes_it_there_with_the_same_retention(self):
        rootdir = self.workdir / "mine"
        rootdir.mkdir()
        seen = {}

        def passes(case):
            seen["pass"] = case.useFixture(fixturestmp.TempDir(str(rootdir))).path

        def fails(case):
            seen["fail"] = case.useFixture(
                fixturestmp.TempDir(rootdir=str(rootdir))
            ).path
            case.fail("fails")

        self.run_case(passes)
        self.run_case(fails)
        self.assertEqual(str(rootdir), os.path.dirname(seen["pass"]))
        self.assertThat(seen["pass"], Not(DirExists()))
        self.assertEqual(str(rootdir), os.path.dirname(seen["fail"]))
        self.assertThat(seen["fail"], DirExists())
        # Recorded in the session, so fixturestmp show finds it.
        from fixturestmp._store.manifest import read_manifest

        paths = [r.get("path") for r in read_manifest(self.default.path)]
        self.assertIn(seen["fail"], paths)

    def test_path_before_setup_is_an_attribute_error_as_in_fixtures(self):
        self.assertRaises(AttributeError, lambda: fixtures.TempDir().path)
        self.assertRaises(AttributeError, lambda: fixturestmp.TempDir().path)

    def test_a_missing_rootdir_raises_as_fixtures_does(self):
        missing = str(self.workdir / "missing")

        def setup(kind) -> type:  # the exception's type, or NoneType
            try:
                kind(missing).setUp()
            except fixtures.MultipleExceptions as error:
                return error.args[0][0]
            return type(None)

        self.assertEqual(setup(fixtures.TempDir), setup(fixturestmp.TempDir))
        self.assertEqual(FileNotFoundError, setup(fixturestmp.TempDir))

    def test_under_plain_unittest(self):
        seen = {}

        class Case(fixtures.TestWithFixtures):
            def test_fails(self):
                seen["path"] = self.useFixture(fixturestmp.TempDir()).path
                self.fail("fails")

        Case("test_fails").run(unittest.TestResult())
        self.assertThat(seen["path"], DirExists())
        self.assertThat(seen["path"], Contains("test_fails"))
