"""Tests for the ``processes`` leak check, with real child processes."""

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import fixtures
import psutil
import testtools
from testtools.matchers import Contains, MatchesRegex

from fixturestmp import leaks
from fixturestmp._process import proc
from fixturestmp.tests.support import run_python
from fixturestmp.tests.support.leaks import (
    LeakTestCase,
    StartsThenFails,
    details_text,
    gone,
    run_case,
)


class TestProcessLeakCheck(LeakTestCase):
    def test_reports_running_children_with_command_lines(self):
        with leaks.ProcessLeakCheck(test_id="t") as check:
            process, _ = self.child()
            finished = subprocess.Popen([sys.executable, "-c", "pass"])
            finished.wait()
        [leak] = check.leaks
        self.assertEqual(("processes", 1), (leak.check, leak.size))
        self.assertThat(
            leak.summary,
            MatchesRegex(rf"LEAKED process {process.pid} \(python\S* -c .*\) in t$"),
        )
        self.assertThat(leak.detail, Contains(f"pid {process.pid}: {sys.executable}"))
        self.assertThat(leak.detail, Contains("still running"))
        self.assertIsNone(process.poll())

    def test_children_started_before_are_not_reported(self):
        self.child()
        with leaks.ProcessLeakCheck() as check:
            pass
        self.assertEqual([], check.leaks)

    def test_fixture_failing_half_way_is_reported_and_killed(self):
        failing = StartsThenFails(lambda: self.child(grandchild=True))

        class UsesFailingFixture(testtools.TestCase):
            def test_it(self):
                self.useFixture(leaks.ProcessLeakCheck(kill=True))
                self.useFixture(failing)

        case = UsesFailingFixture("test_it")
        result = run_case(case)
        [(_, error)] = result.errors
        self.assertThat(error, Contains("setUp failed half-way"))
        [(child, grandchild_pid)] = failing.started
        grandchild = psutil.Process(int(grandchild_pid))
        text = details_text(case)["leak-processes"]
        self.assertThat(text, Contains(f"LEAKED process {child.pid} ("))
        self.assertThat(text, Contains(f"pid {child.pid}: "))
        self.assertThat(text, Contains(f"  pid {grandchild.pid}: "))
        self.assertThat(text, Contains("terminated by SIGTERM"))
        self.assertFalse(psutil.pid_exists(child.pid))
        self.assertTrue(gone(grandchild))
        [record] = self.leak_records()
        self.assertEqual((case.id(), 1), (record["id"], record["size"]))

    def test_fixture_failing_half_way_without_kill_leaves_it_running(self):
        failing = StartsThenFails(self.child)

        class UsesFailingFixture(testtools.TestCase):
            def test_it(self):
                self.useFixture(leaks.ProcessLeakCheck())
                self.useFixture(failing)

        case = UsesFailingFixture("test_it")
        run_case(case)
        [(child, _)] = failing.started
        self.assertThat(
            details_text(case)["leak-processes"],
            Contains(f"LEAKED process {child.pid} "),
        )
        self.assertIsNone(child.poll())

    def test_kill_uses_sigkill_when_sigterm_is_ignored(self):
        check = leaks.ProcessLeakCheck(kill=True)
        check.term_grace = 0.2
        with check:
            process, _ = self.child(ignore_term=True)
        self.assertThat(check.leaks[0].detail, Contains("killed by SIGKILL"))
        self.assertFalse(psutil.pid_exists(process.pid))

    def test_several_processes_are_one_leak(self):
        with leaks.ProcessLeakCheck(test_id="t") as check:
            first, _ = self.child()
            self.child()
        [leak] = check.leaks
        self.assertEqual(2, leak.size)
        self.assertThat(leak.summary, Contains(f"LEAKED 2 processes {first.pid} ("))

    def test_children_of_other_threads_are_found(self):
        started = []
        with leaks.ProcessLeakCheck() as check:
            thread = threading.Thread(target=lambda: started.append(self.child()))
            thread.start()
            thread.join()
        [(process, _)] = started
        self.assertThat(check.leaks[0].summary, Contains(f"process {process.pid} "))

    def test_multiprocessing_helpers_are_not_reported(self):
        script = textwrap.dedent(
            """
            import multiprocessing
            from multiprocessing import forkserver, resource_tracker
            from fixturestmp.leaks import ProcessLeakCheck

            with ProcessLeakCheck(action="fail"):
                resource_tracker.ensure_running()
                forkserver.ensure_running()
            print("children", len(multiprocessing.active_children()))
            """
        )
        env = {"FIXTURESTMP_ROOT": str(self.root), "TMPDIR": str(self.tmpdir)}
        done = run_python(["-c", script], cwd=self.workdir, env=env)
        self.assertEqual(0, done.returncode, done.stderr)


# What every script of TestProc starts with: start() makes a child that
# waits for a line on its stdin.
_PRELUDE = """\
import os, subprocess, sys, threading
from fixturestmp._process import proc

def start():
    return subprocess.Popen([sys.executable, "-c", "input()"],
                            stdin=subprocess.PIPE)
"""


class TestProc(testtools.TestCase):
    def test_child_pids_and_descendants(self):
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import subprocess, sys; "
                "g = subprocess.Popen([sys.executable, '-c', "
                "'import sys; sys.stdin.read()']); "
                "print(g.pid, flush=True); sys.stdin.read()",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.addCleanup(process.wait)
        self.addCleanup(process.stdin.close)
        self.addCleanup(process.stdout.close)
        grandchild = int(process.stdout.readline())
        self.assertIn(process.pid, proc.child_pids())
        self.assertEqual([(grandchild, 1)], proc.descendants(process.pid))
        info = proc.info(process.pid)
        self.assertTrue(info.running)
        self.assertEqual(info.key, proc.info(process.pid).key)
        self.assertNotEqual(info.key, proc.info(grandchild).key)
        self.assertIsNone(proc.info(2**22 + 1))

    def test_children_of_every_thread_alone_or_with_others(self):
        # A process alone on its thread takes the short way (no listing of
        # its threads); with more threads, each thread's children count.
        lines = self._run_script(
            """
            alone = start()
            print("alone", proc._single_threaded(),
                  proc.child_pids() == [alone.pid])
            release = threading.Event()
            started = []
            thread = threading.Thread(
                target=lambda: (started.append(start()), release.wait()))
            thread.start()
            while not started:
                pass
            print("threads", proc._single_threaded(),
                  sorted(proc.child_pids()) == sorted([alone.pid, started[0].pid]))
            release.set()
            thread.join()
            for child in (alone, *started):
                child.communicate(b"\\n")
            """
        )
        self.assertEqual(["alone True True", "threads False True"], lines)

    def _run_script(self, body: str) -> list[str]:
        """Run ``body`` after :data:`_PRELUDE` in a child; return its lines."""
        # In a directory of its own: a script may write files.
        workdir = self.useFixture(fixtures.TempDir()).path
        script = _PRELUDE + textwrap.dedent(body)
        done = run_python(["-c", script], cwd=Path(workdir))
        self.assertEqual(0, done.returncode, done.stderr)
        return done.stdout.split("\n")[:-1]

    def test_kept_descriptor_closed_and_its_number_reused(self):
        # A test that closes every descriptor, then opens a file that gets
        # the kept one's number: that file is never read as the children.
        lines = self._run_script(
            """
            child = start()
            proc.child_pids()  # With a child, the files are read: kept open.
            kept = sorted(proc.kept_descriptors())
            print(len(kept))
            for fd in kept:
                os.close(fd)
            with open("numbers", "w") as stream:
                stream.write("1 2 3\\n")
            reused = [os.open("numbers", os.O_RDONLY) for _ in kept]
            print(reused == kept, proc.child_pids() == [child.pid],
                  proc._single_threaded())
            child.communicate(b"\\n")
            print(proc.child_pids())
            print(all(os.read(fd, 3) == b"1 2" for fd in reused))
            """
        )
        self.assertEqual(["2", "True True True", "[]", "True"], lines)

    def test_has_children_neither_waits_nor_reaps(self):
        # Asked before and after every test: a child's exit status stays
        # for whoever started it, and a thread's children count too.
        lines = self._run_script(
            """
            print(proc.has_children(), proc.child_pids())
            exited = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
            os.waitid(os.P_PID, exited.pid, os.WEXITED | os.WNOWAIT)
            print(proc.has_children(), proc.child_pids() == [exited.pid])
            print(exited.wait(), proc.has_children(), proc.child_pids())
            started = []
            thread = threading.Thread(target=lambda: started.append(start()))
            thread.start()
            thread.join()
            print(proc.has_children(), proc.child_pids() == [started[0].pid])
            started[0].communicate(b"\\n")
            """
        )
        self.assertEqual(["False []", "True True", "3 False []", "True True"], lines)

    def test_forked_child_reads_its_own_children(self):
        # The kept descriptors describe the parent's task: a forked child
        # must not read its parent's children as its own.
        lines = self._run_script(
            """
            parents = start()
            print(proc.child_pids() == [parents.pid])
            kept = proc.kept_descriptors()
            pid = os.fork()
            if pid == 0:
                # Nor does it keep its parent's descriptors open.
                ok = all(not os.path.exists(f"/proc/self/fd/{fd}") for fd in kept)
                ok = ok and proc.child_pids() == []
                own = start()
                ok = ok and proc.child_pids() == [own.pid]
                own.communicate(b"\\n")
                os._exit(0 if ok else 1)
            _, status = os.waitpid(pid, 0)
            print(os.waitstatus_to_exitcode(status))
            print(proc.child_pids() == [parents.pid])
            parents.communicate(b"\\n")
            """
        )
        self.assertEqual(["True", "0", "True"], lines)

    def test_kept_descriptors_are_no_fd_leak(self):
        # The first check of a process opens them, after the fds check has
        # listed the descriptors open before the test.
        lines = self._run_script(
            """
            from fixturestmp.leaks.probe import ProbeSet

            child = start()  # With a child, the processes check reads files.
            probes = ProbeSet(("fds", "processes"))
            probes.start()
            print(probes.stop("first") == [], bool(proc.kept_descriptors()))
            child.communicate(b"\\n")
            """
        )
        self.assertEqual(["True True"], lines)
