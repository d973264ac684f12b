"""Tests for fixturestmp._store.sessionend."""

from fixturestmp._store.ownedsession import OwnedSession
from fixturestmp._store.sessionend import end_session
from fixturestmp.tests.support import IsolatedTestCase


class TestEndSession(IsolatedTestCase):
    def end(self, owned, keeps, count):
        end_session(owned, keeps=keeps, retention_count=count,
                    trash_failed=False, created=None)  # fmt: skip
        owned.release()

    def test_the_ending_session_counts_among_the_kept(self):
        older = OwnedSession.numbered(self.root, fallback=False)
        newer = OwnedSession.numbered(self.root, fallback=False)
        self.end(newer, keeps=True, count=1)
        self.end(older, keeps=True, count=1)  # ends last: kept, newer pruned
        self.assertEqual(["run-0"], self.sessions())

    def test_count_zero_or_policy_removes_it(self):
        for keeps, count in ((True, 0), (False, 3)):
            self.end(OwnedSession.numbered(self.root, fallback=False), keeps, count)
            self.assertEqual([], self.sessions())

    def test_basetemp_loses_only_what_was_made(self):
        owned = OwnedSession.at_basetemp(self.workdir / "explicit")
        (owned.path / "made").mkdir()
        (owned.path / "users").write_text("mine")
        end_session(owned, keeps=False, retention_count=0, trash_failed=False,
                    created={"made"})  # fmt: skip
        owned.release()
        # The marker stays with the user's file: the directory is still ours.
        self.assertEqual(
            [".fixturestmp", "users"], sorted(p.name for p in owned.path.iterdir())
        )
