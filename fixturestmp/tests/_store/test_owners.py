"""Tests for fixturestmp._store.owners."""

import os

import testtools

from fixturestmp._process import proc
from fixturestmp._store import owners
from fixturestmp.tests.support.forked import in_forked_child


class TestOwnerToken(testtools.TestCase):
    def test_own_token_is_pid_and_start_time(self):
        token = owners.owner_token()
        self.assertEqual(f"{os.getpid()}-{proc.info(os.getpid()).start:.2f}", token)
        self.assertEqual(token, owners.owner_token(os.getpid()))
        self.assertTrue(owners.token_is_live(token))

    def test_a_forked_child_has_its_own_token(self):
        parent = owners.owner_token()  # Known before the fork.

        def child():
            return [os.getpid(), owners.owner_token()]

        pid, token = in_forked_child(child)
        self.assertNotEqual(parent, token)
        self.assertTrue(token.startswith(f"{pid}-"), token)
        self.assertEqual(parent, owners.owner_token())

    def test_no_such_process(self):
        self.assertRaises(ProcessLookupError, owners.owner_token, 2**22 + 1)
