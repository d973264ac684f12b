"""Tests for the advice at the end of leak reports: testtools or pytest words."""

import os

import fixtures
import testtools
from testtools.matchers import Contains, Not

from fixturestmp.errors import ConfigError
from fixturestmp.leaks import CHECKS, LeakCheck, LeakError
from fixturestmp.leaks.advice import STYLES, advice
from fixturestmp.tests.support.leaks import LeakTestCase, details_text, run_case

PYTEST_WORDS = ("monkeypatch", "yield", "tmp_path", "request.addfinalizer")
TESTTOOLS_WORDS = ("addCleanup", "useFixture", "LeakCheck(")


class TestAdvice(LeakTestCase):
    def test_every_check_has_advice_in_every_style(self):
        for style in STYLES:
            for name in CHECKS:
                self.assertNotEqual("", advice(name, style), (name, style))

    def test_pytest_advice_names_no_testtools_api(self):
        for name in CHECKS:
            for words in TESTTOOLS_WORDS:
                self.assertThat(advice(name, "pytest"), Not(Contains(words)))
        for words in TESTTOOLS_WORDS:
            self.assertThat(str(LeakError([], "pytest")), Not(Contains(words)))

    def test_testtools_details_say_addcleanup_and_fixtures(self):
        class Leaks(testtools.TestCase):
            def test_leaks(self):
                self.useFixture(fixtures.MonkeyPatch("os.environ", dict(os.environ)))
                self.useFixture(LeakCheck(checks=("environ", "fds")))
                os.environ["LEFT_BEHIND"] = "1"
                self.stream = open(os.devnull)

        case = Leaks("test_leaks")
        self.assertTrue(run_case(case).wasSuccessful())
        self.addCleanup(case.stream.close)
        details = details_text(case)
        self.assertThat(
            details["leak-environ"], Contains("fixtures.EnvironmentVariable")
        )
        self.assertThat(details["leak-fds"], Contains("self.addCleanup"))
        for text in details.values():
            for words in PYTEST_WORDS:
                self.assertThat(text, Not(Contains(words)))

    def test_pytest_style(self):
        with LeakCheck(checks="environ", style="pytest") as check:
            os.environ["LEFT_BY_PYTEST_STYLE"] = "1"
        del os.environ["LEFT_BY_PYTEST_STYLE"]
        [leak] = check.leaks
        self.assertThat(leak.detail, Contains("monkeypatch.setenv"))

    def test_unknown_style_is_refused(self):
        error = self.assertRaises(ConfigError, LeakCheck, "environ", style="nose")
        self.assertThat(str(error), Contains("'nose'"))
        self.assertThat(str(error), Contains("testtools, pytest"))
