"""Tests for fixturestmp._store.pertestdirs."""

from fixturestmp._store.ownedsession import OwnedSession
from fixturestmp._store.pertestdirs import TestDirs
from fixturestmp.tests.support import IsolatedTestCase


class TestTestDirs(IsolatedTestCase):
    def test_numbered_made_and_discarded_and_tracked(self):
        owned = OwnedSession.at_basetemp(self.workdir / "explicit")
        self.addCleanup(owned.release)
        dirs = TestDirs(owned, track_created=True)
        first, second = dirs.mktemp("a b"), dirs.mktemp("a b")
        self.assertEqual(["a_b0", "a_b1"], [first.name, second.name])
        self.assertEqual({"a_b0", "a_b1"}, dirs.created)
        (second / "sub").mkdir()  # not small: through the trash
        for path in (first, second):
            dirs.discard(path)
        dirs.close()
        self.assertEqual(set(), dirs.created)
        self.assertFalse(first.exists() or second.exists())
        self.assertFalse(dirs.trash_failed)

    def test_paths_are_the_session_path_and_the_name(self):
        owned = OwnedSession.at_basetemp(self.workdir / "explicit")
        self.addCleanup(owned.release)
        dirs = TestDirs(owned, track_created=False)
        made = dirs.make_dir("named")
        path = dirs.path_of(made)
        self.assertEqual(owned.path / "named0", path)
        self.assertEqual(made, str(path))
        self.assertEqual(("named0", owned.path), (path.name, path.parent))
        self.assertTrue(path.is_dir())
        dirs.discard(path)
        dirs.close()
