"""Tests for fixturestmp._store.selection: which session collect and report read."""

import fixturestmp
from fixturestmp._store.selection import select_session
from fixturestmp.errors import ConfigError
from fixturestmp.tests.support import IsolatedTestCase


class TestSelectSession(IsolatedTestCase):
    def make_session(self, *names: str) -> fixturestmp.SessionTempFixture:
        # Recorded as the per-test path records them, with the ids given.
        with self.session(retention_policy="failed") as session:
            for name in names:
                session.record(name, session.mktemp(name), "failed", True)
                session.failed = True
        return session

    def test_newest_number_and_pattern(self):
        self.assertIsNone(select_session(None, self.root))
        first = self.make_session("alpha_one", "beta")
        second = self.make_session("alpha_two")
        self.assertEqual(second.path, select_session(None, self.root).info.path)
        self.assertEqual(first.path, select_session("0", self.root).info.path)
        # PATTERN: the newest session with such a test, and only those tests.
        chosen = select_session("beta", self.root)
        self.assertEqual(first.path, chosen.info.path)
        self.assertEqual(
            ["beta"], [t["id"] for t in chosen.info.tests if chosen.wanted(t["id"])]
        )
        self.assertEqual(second.path, select_session("alpha", self.root).info.path)
        self.assertIsNone(select_session("gamma", self.root))
        by_path = select_session(str(first.path), self.root)
        self.assertEqual((first.path, 0), (by_path.info.path, by_path.info.number))

    def test_unknown_number_and_bad_path_name_the_option(self):
        self.make_session("alpha")
        error = self.assertRaises(ConfigError, select_session, "4", self.root)
        self.assertIn("--session 4: there is no session run-4", str(error))
        self.assertIn("sessions there: 0", str(error))
        error = self.assertRaises(
            ConfigError, select_session, str(self.workdir), self.root
        )
        self.assertIn("not a session directory", str(error))
