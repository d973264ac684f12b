"""Tests for fixturestmp._hooks.everytest: a hook as every test starts."""

from fixturestmp.tests.support import IsolatedTestCase, run_python, write_files


class TestUnderTheEveryTestHook(IsolatedTestCase):
    def test_the_running_case_is_still_found(self):
        # on_every_test wraps run() for the whole process: in a child, so
        # that no other test runs wrapped.
        write_files(
            self.workdir,
            {
                "test_it.py": """
                    import unittest

                    import testtools

                    from fixturestmp._hooks import everytest

                    from fixturestmp._runtime import testruns

                    STARTED = []
                    everytest.on_every_test(STARTED.append)


                    class Plain(unittest.TestCase):
                        def test_it(self):
                            self.assertIn(self, STARTED)
                            self.assertIs(self, testruns.running_case())


                    class Testtools(testtools.TestCase):
                        def test_it(self):
                            self.assertIn(self, STARTED)
                            self.assertIs(self, testruns.running_case())
                """
            },
        )
        run = run_python(["-m", "testtools.run", "test_it"], self.workdir)
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
