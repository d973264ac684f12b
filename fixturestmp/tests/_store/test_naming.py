"""Tests for fixturestmp._store.naming."""

import testtools

from fixturestmp._store.naming import printable, safe_name


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


class TestPrintable(testtools.TestCase):
    def test_examples(self):
        for raw, shown in [
            ("pkg.TestX.test_y", "pkg.TestX.test_y"),
            ("ünïcødé 名前", "ünïcødé 名前"),
            ("line\nFAILED fake", "line\\nFAILED fake"),
            ("\x1b[31mred", "\\x1b[31mred"),
            ("nul\0", "nul\\x00"),
            ("\udcff", "\\udcff"),
            ("sep\u2028", "sep\\u2028"),
        ]:
            self.assertEqual(shown, printable(raw), raw)
            printable(raw).encode("utf-8")
