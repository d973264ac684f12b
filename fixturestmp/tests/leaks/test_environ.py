"""Tests for fixturestmp.leaks.environ: the environment check."""

import os

import fixtures
from testtools.matchers import Contains

import fixturestmp
from fixturestmp import leaks
from fixturestmp.leaks.environ import EnvironProbe
from fixturestmp.tests.support.leaks import ENV_NAME, LeakTestCase


class TestEnvironLeakCheck(LeakTestCase):
    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.EnvironmentVariable(ENV_NAME))
        self.useFixture(fixtures.EnvironmentVariable(ENV_NAME + "_OLD", "old"))
        self.addCleanup(os.chdir, os.getcwd())

    def test_reports_added_removed_changed_variables_and_cwd(self):
        with leaks.EnvironLeakCheck(test_id="t") as check:
            os.environ[ENV_NAME] = "new"
            os.environ["HOME"] = os.environ.get("HOME", "") + "-changed"
            del os.environ[ENV_NAME + "_OLD"]
            os.chdir(self.workdir)
        self.addCleanup(os.environ.__setitem__, "HOME", os.environ["HOME"][:-8])
        [leak] = check.leaks
        self.assertEqual(4, leak.size)
        self.assertThat(
            leak.summary,
            Contains(f"LEAKED 4 environment changes {ENV_NAME} set, "),
        )
        self.assertThat(leak.detail, Contains(f"{ENV_NAME}: set to 'new' (was unset)"))
        self.assertThat(leak.detail, Contains(f"{ENV_NAME}_OLD: unset (was 'old')"))
        self.assertThat(leak.detail, Contains("HOME: changed to"))
        self.assertThat(leak.detail, Contains(f"working directory: {self.workdir}"))

    def test_clean_restores(self):
        cwd = os.getcwd()
        with leaks.EnvironLeakCheck(clean=True) as check:
            os.environ[ENV_NAME] = "new"
            os.environ[ENV_NAME + "_OLD"] = "changed"
            os.chdir(self.workdir)
        self.assertEqual(3, check.leaks[0].size)
        self.assertNotIn(ENV_NAME, os.environ)
        self.assertEqual("old", os.environ[ENV_NAME + "_OLD"])
        self.assertEqual(cwd, os.getcwd())

    def test_fail_raises_leak_error_when_a_variable_is_left_set(self):
        def leave_variable_set():
            with fixturestmp.LeakCheck(checks=("environ",), action="fail"):
                os.environ[ENV_NAME] = "1"

        error = self.assertRaises(leaks.LeakError, leave_variable_set)
        self.assertIsInstance(error, AssertionError)
        self.assertThat(str(error), Contains(f"LEAKED environment change {ENV_NAME}"))
        # Inside a running test, the leak is the test's.
        self.assertThat(str(error), Contains(f" in {self.id()}\n"))
        self.assertEqual(["environ"], [leak.check for leak in error.leaks])

    def test_fail_does_not_hide_the_blocks_own_error(self):
        def fail_in_block():
            with leaks.EnvironLeakCheck(action="fail"):
                os.environ[ENV_NAME] = "1"
                raise KeyError("the block's own error")

        self.assertRaises(KeyError, fail_in_block)

    def test_clean_block_passes(self):
        with leaks.EnvironLeakCheck(action="fail") as check:
            os.environ[ENV_NAME] = "1"
            del os.environ[ENV_NAME]
        self.assertEqual([], check.leaks)

    def test_a_probe_used_again_sees_changes_made_between_its_uses(self):
        # Per-test checks reuse their probes, which keep their snapshot
        # while the environment holds it.
        probe = EnvironProbe()
        probe.start()
        self.assertEqual([], probe.stop("first"))
        os.environ[ENV_NAME] = "set between tests"
        probe.start()
        self.assertEqual([], probe.stop("second"))
        probe.start()
        os.environ[ENV_NAME] = "changed by the third"
        [leak] = probe.stop("third")
        self.assertThat(
            leak.detail,
            Contains(
                f"{ENV_NAME}: changed to 'changed by the third' "
                "(was 'set between tests')"
            ),
        )
        probe.start()
        del os.environ[ENV_NAME]
        [leak] = probe.stop("fourth")
        self.assertThat(
            leak.detail, Contains(f"{ENV_NAME}: unset (was 'changed by the third')")
        )
