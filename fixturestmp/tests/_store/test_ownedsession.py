"""Tests for fixturestmp._store.ownedsession."""

import os

from fixturestmp._store import owners
from fixturestmp._store.newsession import MARKER_NAME
from fixturestmp._store.ownedsession import OwnedSession
from fixturestmp.tests.support import IsolatedTestCase
from fixturestmp.tests.support.forked import in_forked_child


class TestOwnedSession(IsolatedTestCase):
    def test_owned_until_released_in_each_way(self):
        numbered = OwnedSession.numbered(self.root, fallback=False)
        explicit = OwnedSession.at_basetemp(self.workdir / "explicit")
        joined = OwnedSession.join(numbered.path)
        for owned in (numbered, explicit, joined):
            self.assertEqual([owned.token], owners.live_owners(owned.path))
            self.assertEqual(owned.path.stat().st_ino, os.fstat(owned.fd).st_ino)
        self.assertTrue((explicit.path / MARKER_NAME).is_file())
        self.assertEqual((False, False, True), (numbered.joined, explicit.joined,
                                                joined.joined))  # fmt: skip
        joined.release()  # Same process, same record: withdrawn for both.
        for owned in (numbered, explicit):
            owned.release()
            self.assertEqual([], owners.live_owners(owned.path))
            self.assertEqual(-1, owned.fd)

    def test_a_forked_child_uses_but_does_not_own_it(self):
        owned = OwnedSession.numbered(self.root, fallback=False)
        self.addCleanup(owned.release)

        def child():
            here = owned.owned_here
            owned.release()  # The child's descriptor; not the record.
            return [here, owned.fd, owners.live_owners(owned.path)]

        here, fd, live = in_forked_child(child)
        self.assertEqual((False, -1, [owned.token]), (here, fd, live))
        self.assertTrue(owned.owned_here)
        self.assertEqual([owned.token], owners.live_owners(owned.path))
        os.fstat(owned.fd)  # Still open here.
