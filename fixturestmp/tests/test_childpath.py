"""Tests for fixturestmp.childpath."""

import os
from pathlib import Path

import testtools

from fixturestmp import childpath
from fixturestmp.childpath import child_path
from fixturestmp.tempdir import TempDirFixture
from fixturestmp.tests.helpers import IsolatedTestCase


class SamePathMixin:
    def assertSamePath(self, expected: Path, child: Path) -> None:
        self.assertIs(type(expected), type(child))
        self.assertEqual(str(expected), str(child))
        self.assertEqual(os.fspath(expected), os.fspath(child))
        self.assertEqual(expected.parts, child.parts)
        self.assertEqual(expected, child)
        self.assertEqual(hash(expected), hash(child))
        self.assertEqual(expected.parent, child.parent)
        self.assertEqual(expected.name, child.name)
        self.assertEqual(str(expected / "f.txt"), str(child / "f.txt"))


class TestChildPath(SamePathMixin, testtools.TestCase):
    def test_equal_to_path_in_every_way(self):
        for parent in ["/", "//", ".", "run", "/tmp", "/tmp/session-20261201-1"]:
            for name in ["test_it0", "tmp", "x_y_z12"]:
                self.assertSamePath(Path(parent) / name, child_path(Path(parent), name))

    def test_the_check_refuses_a_path_that_differs(self):
        def wrong(parent: Path, name: str) -> Path:
            return Path(f"{parent}/x{name}")

        self.assertFalse(childpath._same_as_path(wrong))
        self.assertTrue(childpath._same_as_path(childpath._by_division))

    def test_cheap_route_where_this_python_has_one(self):
        # Falling back silently would cost every test ~10 µs again.
        if not hasattr(Path, "_make_child_relpath"):
            self.skipTest("this Python's pathlib has no child constructor")
        self.assertIs(childpath._by_iterdir_constructor, childpath._make_child)


class TestPathsOfTheSession(SamePathMixin, IsolatedTestCase):
    def test_a_session_path_is_its_directory(self):
        session = self.useFixture(self.session())
        fixture = self.useFixture(TempDirFixture("named", session=session))
        self.assertSamePath(session.path / "named0", fixture.path)
        self.assertTrue(fixture.path.is_dir())
        made = session.mktemp("other")
        self.assertSamePath(session.path / "other0", made)
        self.assertTrue(made.is_dir())
