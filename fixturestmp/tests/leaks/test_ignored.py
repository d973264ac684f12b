"""Tests for recognising what the Python runtime keeps for itself."""

import multiprocessing
import os
import textwrap

from fixturestmp.leaks import FdLeakCheck, ignored
from fixturestmp.tests.support import run_python
from fixturestmp.tests.support.leaks import LeakTestCase


class TestFdOwners(LeakTestCase):
    def test_multiprocessing_heap_file(self):
        owners = ignored.FdOwners()
        self.assertTrue(owners.owned("/dev/shm/pym-123-abc_d1 (deleted)"))
        self.assertTrue(owners.owned("/tmp/pymp-x/pym-9-zz (deleted)"))
        # Not unlinked, or not multiprocessing's name: the test's own file.
        self.assertFalse(owners.owned("/dev/shm/pym-123-abc_d1"))
        self.assertFalse(owners.owned("/dev/shm/mine (deleted)"))

    def test_a_pipe_of_no_helper_is_not_owned(self):
        read, write = os.pipe()
        self.addCleanup(os.close, read)
        self.addCleanup(os.close, write)
        target = os.readlink(f"/proc/self/fd/{read}")
        self.assertFalse(ignored.FdOwners().owned(target))

    def test_eventlets_hub_is_not_a_leak_another_epoll_is(self):
        # In a child of its own: eventlet's hub lives as long as the thread.
        script = textwrap.dedent(
            """
            import select, warnings
            warnings.simplefilter("ignore")  # eventlet's deprecation notice
            import eventlet
            from fixturestmp.leaks import FdLeakCheck

            with FdLeakCheck(test_id="first") as check:
                eventlet.sleep(0)  # The thread's hub is made: eventlet's.
            print([leak.summary for leak in check.leaks])
            with FdLeakCheck(test_id="second") as check:
                mine = select.epoll()  # The test's own, left open.
            print(len(check.leaks), f"fd {mine.fileno()} (anon_inode:[eventpoll])"
                  in check.leaks[0].detail)
            """
        )
        done = run_python(["-c", script], cwd=self.workdir)
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertEqual(["[]", "1 True"], done.stdout.splitlines())

    def test_a_multiprocessing_value_leaks_no_descriptor(self):
        # In a child: the heap must be made during the check, not before.
        context = multiprocessing.get_context("fork")
        queue = context.SimpleQueue()

        def child():
            with FdLeakCheck(test_id="t") as check:
                value = multiprocessing.Value("i", 0)
                value.value = 1
            queue.put([leak.summary for leak in check.leaks])

        process = context.Process(target=child)
        process.start()
        found = queue.get()
        process.join()
        self.assertEqual([], found)
        self.assertEqual(0, process.exitcode)
