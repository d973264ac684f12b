"""Tests for fixturestmp.runtimestate: the environment's copy."""

import os

import fixtures
import testtools

from fixturestmp import runtimestate


def decoded(copy: dict) -> dict[str, str]:
    return {os.fsdecode(name): os.fsdecode(value) for name, value in copy.items()}


class TestEnvironSnapshot(testtools.TestCase):
    def test_the_same_as_the_public_copy(self):
        self.useFixture(fixtures.EnvironmentVariable("FIXTURESTMP_TEST_SET", "é 1"))
        self.useFixture(fixtures.EnvironmentVariable("HOME"))  # Unset.
        copy = runtimestate.environ_snapshot()
        self.assertEqual(dict(os.environ), decoded(copy))
        self.assertEqual("é 1", decoded(copy)["FIXTURESTMP_TEST_SET"])

    def test_a_copy_not_a_view(self):
        self.useFixture(fixtures.EnvironmentVariable("FIXTURESTMP_TEST_SET"))
        before = runtimestate.environ_snapshot()
        os.environ["FIXTURESTMP_TEST_SET"] = "1"
        self.assertNotEqual(before, runtimestate.environ_snapshot())
        del os.environ["FIXTURESTMP_TEST_SET"]
        self.assertEqual(before, runtimestate.environ_snapshot())

    def test_the_private_route_where_this_python_has_it(self):
        # Falling back silently would make every checked test pay the
        # public copy (python -m benchmarks.bench_environ).
        if not isinstance(getattr(os.environ, "_data", None), dict):
            self.skipTest("this Python's os.environ has no encoded dict")
        self.assertEqual(os.environ._data, runtimestate.environ_snapshot())

    def test_the_public_copy_where_os_environ_was_replaced(self):
        replaced = {"ONLY": "this"}
        self.useFixture(fixtures.MonkeyPatch("os.environ", replaced))
        copy = runtimestate.environ_snapshot()
        self.assertEqual(replaced, copy)
        self.assertIsNot(replaced, copy)
