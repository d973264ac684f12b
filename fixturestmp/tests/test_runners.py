"""Tests for fixturestmp.runners: which test case is running."""

import threading
import unittest

import testtools

from fixturestmp import runners
from fixturestmp.tests.helpers import IsolatedTestCase, run_python, write_files


class TestRunningCase(testtools.TestCase):
    def test_the_running_case_at_any_depth(self):
        def deeper(depth):
            return deeper(depth - 1) if depth else runners.running_case()

        self.assertIs(self, deeper(50))

    def test_the_innermost_of_nested_runs(self):
        found = []

        class Inner(unittest.TestCase):
            def test_it(self):
                found.append(runners.running_case())

        inner = Inner("test_it")
        inner.run(unittest.TestResult())
        self.assertEqual([inner], found)

    def test_from_a_worker_thread_the_one_running_test(self):
        found = []
        worker = threading.Thread(target=lambda: found.append(runners.running_case()))
        worker.start()
        worker.join()
        self.assertEqual([self], found)

    def test_from_two_running_tests_none(self):
        # Two tests at once in other threads: which one a worker serves is
        # not known, so neither is taken.
        started, release, found = threading.Barrier(3), threading.Event(), []

        class Waiting(unittest.TestCase):
            def test_wait(self):
                started.wait()
                release.wait()

        threads = [
            threading.Thread(
                target=Waiting("test_wait").run, args=(unittest.TestResult(),)
            )
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        started.wait()
        probe = threading.Thread(target=lambda: found.append(runners.running_case()))
        probe.start()
        probe.join()
        release.set()
        for thread in threads:
            thread.join()
        # This test is running too: three candidates.
        self.assertEqual([None], found)


class TestOutsideTests(IsolatedTestCase):
    def test_set_up_class_and_module_have_no_case(self):
        write_files(
            self.workdir,
            {
                "test_it.py": """
                    import unittest

                    from fixturestmp import runners

                    FOUND = {"module": runners.running_case()}


                    def setUpModule():
                        FOUND["setUpModule"] = runners.running_case()


                    class Test(unittest.TestCase):
                        @classmethod
                        def setUpClass(cls):
                            FOUND["setUpClass"] = runners.running_case()

                        def test_it(self):
                            self.assertEqual({None}, set(FOUND.values()))
                            self.assertEqual(3, len(FOUND))
                            self.assertIs(self, runners.running_case())
                """
            },
        )
        run = run_python(["-m", "unittest", "test_it"], self.workdir)
        self.assertEqual(0, run.returncode, run.stderr)


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

                    from fixturestmp import runners

                    STARTED = []
                    runners.on_every_test(STARTED.append)


                    class Plain(unittest.TestCase):
                        def test_it(self):
                            self.assertIn(self, STARTED)
                            self.assertIs(self, runners.running_case())


                    class Testtools(testtools.TestCase):
                        def test_it(self):
                            self.assertIn(self, STARTED)
                            self.assertIs(self, runners.running_case())
                """
            },
        )
        run = run_python(["-m", "testtools.run", "test_it"], self.workdir)
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
