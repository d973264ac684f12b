"""Tests for fixturestmp.trash."""

import os
import threading
import warnings

from testtools.matchers import Contains, DirExists, Not

from fixturestmp.removal import RemovalError
from fixturestmp.session import PruneWarning
from fixturestmp.tests.helpers import IsolatedTestCase
from fixturestmp.trash import SMALL_TREE, THREAD_NAME, TRASH_DIR, Trash


def fill(path, files: int, subdir: bool = False) -> None:
    target = path / "sub" if subdir else path
    target.mkdir(parents=True, exist_ok=True)
    for number in range(files):
        (target / f"f{number}").write_text("x")


class TestTrash(IsolatedTestCase):
    def test_small_directory_is_deleted_in_place(self):
        session = self.useFixture(self.session())
        path = session.mktemp("small")
        fill(path, SMALL_TREE)
        session.discard(path)
        self.assertThat(str(path), Not(DirExists()))
        self.assertFalse((session.path / TRASH_DIR).exists())

    def test_big_tree_is_moved_aside_and_gone_when_the_session_ends(self):
        with self.session(retention_policy="all") as session:
            path = session.mktemp("big")
            fill(path, 2000, subdir=True)
            session.discard(path)
            self.assertThat(str(path), Not(DirExists()))
            self.assertIn(THREAD_NAME, [t.name for t in threading.enumerate()])
        self.assertThat(str(session.path), DirExists())
        self.assertFalse((session.path / TRASH_DIR).exists())
        self.assertNotIn(THREAD_NAME, [t.name for t in threading.enumerate()])

    def test_trash_of_a_dead_process_is_pruned(self):
        with self.session(retention_policy="all") as kept:
            pass
        orphan = kept.path / TRASH_DIR / "99999999-1.00-1"
        fill(orphan, 3, subdir=True)
        with self.session(retention_policy="all", retention_count=5):
            pass
        self.assertThat(str(kept.path), DirExists())
        self.assertFalse((kept.path / TRASH_DIR).exists())

    def test_undeletable_tree_is_reported_at_session_end(self):
        session = self.session(retention_policy="all")
        session.setUp()
        path = session.mktemp("stuck")
        fill(path, 20, subdir=True)
        # An immutable file cannot be deleted, even by root.
        stuck = path / "sub" / "f0"
        if os.system(f"chattr +i {stuck} 2>/dev/null") != 0:
            session.cleanUp()
            self.skipTest("chattr +i is not supported on this filesystem")
        self.addCleanup(os.system, f"chattr -R -i {self.base}")
        session.discard(path)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            error = self.assertRaises(RemovalError, session.cleanUp)
        # Said once, by the session itself...
        self.assertEqual([], [w.category for w in caught])
        self.assertThat(str(error), Contains("could not delete"))
        self.assertThat(str(error), Contains("f0"))
        # ... and by every later session that tries again, until it is fixed.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with self.session(retention_policy="all"):
                pass
        self.assertEqual([PruneWarning], [w.category for w in caught])
        self.assertThat(str(caught[0].message), Contains("f0"))

    def test_test_directories_survive_forked_children(self):
        session = self.useFixture(self.session(retention_policy="all"))
        path = session.mktemp("parent")
        fill(path, 40)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            child = session.mktemp("child")
            fill(child, 40)
            session.discard(child)
            session.trash.drain()
            os._exit(0 if not child.exists() else 1)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(0, os.waitstatus_to_exitcode(status))
        session.discard(path)
        session.trash.drain()
        # Each user's own trash directory is empty.
        self.assertEqual([], list((session.path / TRASH_DIR).glob("*/*")))


class TestSharedTrash(IsolatedTestCase):
    def test_one_user_closing_does_not_pull_the_trash_from_another(self):
        # Workers of one session share its directory: when one ends, its
        # trash must not vanish under another that is still discarding.
        with self.session(retention_policy="all") as session:
            first, second = Trash(session.path), Trash(session.path)
            for trash in (first, second):
                path = session.mktemp("big")
                fill(path, 3, subdir=True)
                trash.discard(path)
            second.drain()
            self.assertEqual([], first.close())
            path = session.mktemp("big")
            fill(path, 3, subdir=True)
            second.discard(path)
            self.assertEqual([], second.close())
            self.assertFalse((session.path / TRASH_DIR).exists())
            self.assertEqual([], [p for p in session.path.iterdir() if "big" in p.name])
