"""Tests for fixturestmp._runtime.testruns: which test case is running; the
environment's copy."""

import os
import threading
import unittest

import fixtures
import testtools

from fixturestmp._runtime import interpreter, testruns
from fixturestmp.tests.support import IsolatedTestCase, run_python, write_files


class TestRunningCase(testtools.TestCase):
    def test_the_running_case_at_any_depth(self):
        def deeper(depth):
            return deeper(depth - 1) if depth else testruns.running_case()

        self.assertIs(self, deeper(50))

    def test_the_innermost_of_nested_runs(self):
        found = []

        class Inner(unittest.TestCase):
            def test_it(self):
                found.append(testruns.running_case())

        inner = Inner("test_it")
        inner.run(unittest.TestResult())
        self.assertEqual([inner], found)

    def test_from_a_worker_thread_the_one_running_test(self):
        found = []
        worker = threading.Thread(target=lambda: found.append(testruns.running_case()))
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
        probe = threading.Thread(target=lambda: found.append(testruns.running_case()))
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

                    from fixturestmp._runtime import testruns

                    FOUND = {"module": testruns.running_case()}


                    def setUpModule():
                        FOUND["setUpModule"] = testruns.running_case()


                    class Test(unittest.TestCase):
                        @classmethod
                        def setUpClass(cls):
                            FOUND["setUpClass"] = testruns.running_case()

                        def test_it(self):
                            self.assertEqual({None}, set(FOUND.values()))
                            self.assertEqual(3, len(FOUND))
                            self.assertIs(self, testruns.running_case())
                """
            },
        )
        run = run_python(["-m", "unittest", "test_it"], self.workdir)
        self.assertEqual(0, run.returncode, run.stderr)


def decoded(copy: dict) -> dict[str, str]:
    return {os.fsdecode(name): os.fsdecode(value) for name, value in copy.items()}


class TestEnvironSnapshot(testtools.TestCase):
    def test_the_same_as_the_public_copy(self):
        self.useFixture(fixtures.EnvironmentVariable("FIXTURESTMP_TEST_SET", "é 1"))
        self.useFixture(fixtures.EnvironmentVariable("HOME"))  # Unset.
        copy = interpreter.environ_snapshot()
        self.assertEqual(dict(os.environ), decoded(copy))
        self.assertEqual("é 1", decoded(copy)["FIXTURESTMP_TEST_SET"])

    def test_a_copy_not_a_view(self):
        self.useFixture(fixtures.EnvironmentVariable("FIXTURESTMP_TEST_SET"))
        before = interpreter.environ_snapshot()
        os.environ["FIXTURESTMP_TEST_SET"] = "1"
        self.assertNotEqual(before, interpreter.environ_snapshot())
        del os.environ["FIXTURESTMP_TEST_SET"]
        self.assertEqual(before, interpreter.environ_snapshot())

    def test_the_private_route_where_this_python_has_it(self):
        # Falling back silently would make every checked test pay the
        # public copy (python -m benchmarks.bench_environ).
        if not isinstance(getattr(os.environ, "_data", None), dict):
            self.skipTest("this Python's os.environ has no encoded dict")
        self.assertEqual(os.environ._data, interpreter.environ_snapshot())

    def test_the_public_copy_where_os_environ_was_replaced(self):
        replaced = {"ONLY": "this"}
        self.useFixture(fixtures.MonkeyPatch("os.environ", replaced))
        copy = interpreter.environ_snapshot()
        self.assertEqual(replaced, copy)
        self.assertIsNot(replaced, copy)
