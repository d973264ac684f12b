"""Tests for fixturestmp.leaks.envsnapshot."""

import os

import fixtures
import testtools

from fixturestmp.leaks.envsnapshot import snapshot


def decoded(copy: dict) -> dict[str, str]:
    return {os.fsdecode(name): os.fsdecode(value) for name, value in copy.items()}


class TestSnapshot(testtools.TestCase):
    def test_the_same_as_the_public_copy(self):
        self.useFixture(fixtures.EnvironmentVariable("FIXTURESTMP_TEST_SET", "é 1"))
        self.useFixture(fixtures.EnvironmentVariable("HOME"))  # Unset.
        copy = snapshot()
        self.assertEqual(dict(os.environ), decoded(copy))
        self.assertEqual("é 1", decoded(copy)["FIXTURESTMP_TEST_SET"])

    def test_a_copy_not_a_view(self):
        self.useFixture(fixtures.EnvironmentVariable("FIXTURESTMP_TEST_SET"))
        before = snapshot()
        os.environ["FIXTURESTMP_TEST_SET"] = "1"
        self.assertNotEqual(before, snapshot())
        del os.environ["FIXTURESTMP_TEST_SET"]
        self.assertEqual(before, snapshot())

    def test_the_private_route_where_this_python_has_it(self):
        # Falling back silently would make every checked test pay the
        # public copy (python -m benchmarks.bench_environ).
        if not isinstance(getattr(os.environ, "_data", None), dict):
            self.skipTest("this Python's os.environ has no encoded dict")
        self.assertEqual(os.environ._data, snapshot())

    def test_the_public_copy_where_os_environ_was_replaced(self):
        replaced = {"ONLY": "this"}
        self.useFixture(fixtures.MonkeyPatch("os.environ", replaced))
        copy = snapshot()
        self.assertEqual(replaced, copy)
        self.assertIsNot(replaced, copy)
