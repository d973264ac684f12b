"""Tests for fixturestmp.leaks.reporting: test details, manifest records,
failures; and LeakCheck's options."""

import os
import tempfile

import fixtures
import testtools
from testtools.matchers import Contains

import fixturestmp
from fixturestmp import leaks
from fixturestmp.tests.support.leaks import (
    ENV_NAME,
    LeakTestCase,
    details_text,
    run_case,
)


class TestReporting(LeakTestCase):
    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.EnvironmentVariable(ENV_NAME))

    def test_details_of_the_case_and_manifest_records(self):
        class Leaky(testtools.TestCase):
            def test_leaky(self):
                self.useFixture(leaks.LeakCheck(checks="environ,files"))
                os.environ[ENV_NAME] = "1"
                open(os.path.join(tempfile.gettempdir(), "left"), "w").close()

        case = Leaky("test_leaky")
        result = run_case(case)
        self.assertTrue(result.wasSuccessful())
        texts = details_text(case)
        self.assertEqual(["leak-environ", "leak-files"], sorted(texts))
        self.assertThat(
            texts["leak-files"], Contains(f"LEAKED temp entry left in {case.id()}")
        )
        records = self.leak_records()
        self.assertEqual(
            [
                {
                    "kind": "leak",
                    "check": "environ",
                    "id": case.id(),
                    "size": 1,
                    "summary": (
                        f"LEAKED environment change {ENV_NAME} set in {case.id()}"
                    ),
                    "pid": os.getpid(),
                },
                {
                    "kind": "leak",
                    "check": "files",
                    "id": case.id(),
                    "size": 1,
                    "summary": f"LEAKED temp entry left in {case.id()}",
                    "pid": os.getpid(),
                },
            ],
            sorted(records, key=lambda record: record["check"]),
        )

    def test_fail_fails_the_case_and_says_what_leaked(self):
        class Leaky(testtools.TestCase):
            def test_leaky(self):
                self.useFixture(leaks.EnvironLeakCheck(action="fail"))
                os.environ[ENV_NAME] = "1"

        case = Leaky("test_leaky")
        result = run_case(case)
        [(_, text)] = result.failures
        self.assertThat(text, Contains(f"LEAKED environment change {ENV_NAME} set"))
        self.assertIn("leak-environ", details_text(case))

    def test_explicit_session_gets_the_records(self):
        other = self.useFixture(self.session())
        with leaks.EnvironLeakCheck(session=other, test_id="mine"):
            os.environ[ENV_NAME] = "1"
        self.assertEqual([], self.leak_records())
        from fixturestmp._store.manifest import read_manifest

        [record] = [r for r in read_manifest(other.path) if r["kind"] == "leak"]
        self.assertEqual("mine", record["id"])

    def test_leak_check_names_and_options(self):
        check = leaks.LeakCheck(
            checks="all", kill=True, clean=True, memory_leak_limit="1MB"
        )
        self.assertEqual(
            ("files", "fds", "environ", "threads", "processes", "memory"), check.checks
        )
        by_name = {member.name: member for member in check.members}
        self.assertTrue(by_name["processes"].kill)
        self.assertTrue(by_name["files"].clean)
        self.assertEqual(10**6, by_name["memory"].memory_leak_limit)

    def test_configured_values_are_the_defaults(self):
        self.useFixture(
            fixtures.EnvironmentVariable("FIXTURESTMP_LEAK_CHECKS", "threads")
        )
        self.useFixture(fixtures.EnvironmentVariable("FIXTURESTMP_LEAK_ACTION", "fail"))
        self.useFixture(
            fixtures.EnvironmentVariable("FIXTURESTMP_MEMORY_LEAK_LIMIT", "2MiB")
        )
        self.assertEqual(("threads",), leaks.LeakCheck().checks)
        self.assertEqual("fail", leaks.LeakCheck().action)
        self.assertEqual(2 * 1024**2, leaks.MemoryLeakCheck().memory_leak_limit)

    def test_bad_values_raise_config_error(self):
        error = self.assertRaises(
            fixturestmp.ConfigError, leaks.LeakCheck, checks="memory,disk"
        )
        self.assertThat(str(error), Contains("unknown check 'disk'"))
        self.assertRaises(fixturestmp.ConfigError, leaks.LeakCheck, action="explode")
        self.assertRaises(
            fixturestmp.ConfigError, leaks.MemoryLeakCheck, memory_leak_limit="lots"
        )
