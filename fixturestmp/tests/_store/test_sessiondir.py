"""Tests for fixturestmp._store.sessiondir: the session's lifecycle and its parts."""

import os

from testtools.matchers import Contains

import fixturestmp
from fixturestmp._store.sessiondir import SessionDir
from fixturestmp.tests.support import IsolatedTestCase


class TestLifecycle(IsolatedTestCase):
    def test_path_of_a_made_directory(self):
        session = SessionDir(root=self.root)
        session.open()
        self.addCleanup(session.close)
        made = session.dirs.make_dir("a b")
        path = session.dirs.path_of(made)
        self.assertEqual(session.path / "a_b0", path)
        self.assertEqual(made, str(path))
        self.assertTrue(path.is_dir())

    def test_every_attribute_exists_from_the_start(self):
        session = SessionDir(root=self.root)
        before = set(vars(session))
        session.open()
        opened = set(vars(session))
        session.close()
        self.assertEqual(before, opened)
        self.assertEqual(before, set(vars(session)))

    def refused(self, session, path) -> list[str]:
        """Return the messages of every use of ``session`` (all refused)."""
        said = []
        # SessionDir's per-test directories are its dirs.
        dirs = session.dirs if isinstance(session, SessionDir) else session
        for use in (
            lambda: dirs.mktemp("x"),
            lambda: dirs.discard(path),
            lambda: session.record("t", path, "failed", True),
            lambda: session.hold(1, lambda: None),
        ):
            error = self.assertRaises(fixturestmp.SessionStateError, use)
            said.append(str(error))
        return said

    def test_use_before_setup_says_so(self):
        for session in (SessionDir(root=self.root), self.session()):
            for said in self.refused(session, self.root / "x"):
                self.assertThat(said, Contains("not set up yet"))
                self.assertThat(said, Contains("setUp()"))
        self.assertEqual([], os.listdir(self.root))

    def test_use_after_the_end_says_so(self):
        with self.session() as session:
            path = session.mktemp("kept")
        for said in self.refused(session, path):
            self.assertThat(said, Contains("has ended"))

    def test_opened_once_ended_once(self):
        session = SessionDir(root=self.root)
        error = self.assertRaises(fixturestmp.SessionStateError, session.end)
        self.assertThat(str(error), Contains("never set up"))
        session.open()
        error = self.assertRaises(fixturestmp.SessionStateError, session.open)
        self.assertThat(str(error), Contains("set up once"))
        session.end()
        session.end()  # Nothing more to do.
        session.close()
        session.close()
        self.assertEqual([], self.sessions())  # no failure: removed
