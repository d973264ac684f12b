"""Tests for fixturestmp.leaks.threads: the thread check."""

import threading

from testtools.matchers import Contains

from fixturestmp import leaks
from fixturestmp.tests.support.leaks import LeakTestCase


class TestThreadLeakCheck(LeakTestCase):
    def start_waiting_thread(self, name: str) -> threading.Thread:
        release = threading.Event()
        thread = threading.Thread(target=release.wait, name=name, daemon=True)
        thread.start()
        self.addCleanup(thread.join)
        self.addCleanup(release.set)
        return thread

    def test_reports_threads_still_alive_with_their_stack(self):
        with leaks.ThreadLeakCheck(test_id="t") as check:
            self.start_waiting_thread("waiter")
            finished = threading.Thread(target=lambda: None)
            finished.start()
        [leak] = check.leaks
        self.assertEqual("LEAKED thread waiter in t", leak.summary)
        self.assertThat(leak.detail, Contains("in wait"))

    def test_own_threads_and_earlier_threads_are_ignored(self):
        self.start_waiting_thread("started-before")
        with leaks.ThreadLeakCheck() as check:
            self.start_waiting_thread("fixturestmp-worker")
        self.assertEqual([], check.leaks)
