"""Tests for fixturestmp.leaks.checks: the checks' public names and how
they name the leaking code."""

import os

import fixtures

from fixturestmp import leaks
from fixturestmp.tests.support import run_python
from fixturestmp.tests.support.leaks import ENV_NAME, LeakTestCase


class TestPublicNames(LeakTestCase):
    def test_reachable_after_import_fixturestmp(self):
        done = run_python(
            [
                "-c",
                "import fixturestmp; "
                "print(fixturestmp.leaks.ProcessLeakCheck(kill=True).kill, "
                "fixturestmp.LeakCheck is fixturestmp.leaks.LeakCheck, "
                "issubclass(fixturestmp.LeakError, AssertionError))",
            ],
            self.workdir,
        )
        self.assertEqual("True True True\n", done.stdout, done.stderr)


class TestLabels(LeakTestCase):
    def leaked_in(self, check: leaks.Check) -> str:
        self.useFixture(fixtures.EnvironmentVariable(ENV_NAME))
        with check:
            os.environ[ENV_NAME] = "1"
        [leak] = check.leaks
        return leak.summary.rpartition(" in ")[2]

    def test_the_test_id_given(self):
        self.assertEqual("mine", self.leaked_in(leaks.EnvironLeakCheck(test_id="mine")))

    def test_the_running_test(self):
        self.assertEqual(self.id(), self.leaked_in(leaks.LeakCheck(("environ",))))

    def test_outside_a_test_the_class_name(self):
        code = (
            "import os\n"
            "from fixturestmp.leaks import EnvironLeakCheck, LeakCheck\n"
            "for check in (EnvironLeakCheck(), LeakCheck(('environ',))):\n"
            "    with check:\n"
            f"        os.environ['{ENV_NAME}'] = check.name\n"
            "    print(check.leaks[0].summary)\n"
        )
        done = run_python(["-c", code], self.workdir, {ENV_NAME: ""})
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertEqual(
            [
                f"LEAKED environment change {ENV_NAME} changed in EnvironLeakCheck",
                f"LEAKED environment change {ENV_NAME} changed in LeakCheck",
            ],
            done.stdout.splitlines(),
        )
