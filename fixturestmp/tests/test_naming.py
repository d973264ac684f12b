"""Tests for fixturestmp.naming."""

import testtools

from fixturestmp.naming import safe_name


class TestSafeName(testtools.TestCase):
    def test_examples(self):
        for raw, safe in [
            ("test_foo", "test_foo"),
            ("test[param-1]", "test_param_1_"),
            ("../..", "_____"),
            ("a/b", "a_b"),
            ("nul\0", "nul_"),
            ("", "tmp"),
            ("x" * 300, "x" * 30),
            ("é名", "__"),
            (b"\xff\xfe", "__"),
            ("\udcff", "_"),
        ]:
            self.assertEqual(safe, safe_name(raw), raw)
