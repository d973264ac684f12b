"""Tests for fixturestmp.leaks.files: the temp-entry check."""

import os
import subprocess
import sys
import tempfile

import fixtures
from testtools.matchers import Contains

from fixturestmp import leaks
from fixturestmp.leaks import dirlisting
from fixturestmp.tests.support import python_env
from fixturestmp.tests.support.leaks import LeakTestCase


class TestFileLeakCheck(LeakTestCase):
    def test_reports_entries_added_to_the_temp_dir(self):
        (self.tmpdir / "before.txt").write_text("was here")
        with leaks.FileLeakCheck(test_id="t") as check:
            fd, name = tempfile.mkstemp(prefix="left-")
            os.close(fd)
            os.mkdir(self.tmpdir / "adir")
            (self.tmpdir / "adir" / "inner").write_text("x")
        [leak] = check.leaks
        self.assertEqual("files", leak.check)
        self.assertEqual(2, leak.size)
        self.assertEqual(
            f"LEAKED 2 temp entries adir/, {os.path.basename(name)} in t", leak.summary
        )
        self.assertThat(leak.detail, Contains("1 entries  adir/"))
        self.assertNotIn("before.txt", leak.detail)
        self.assertTrue(os.path.exists(name))

    def test_clean_removes_exactly_what_the_test_added(self):
        (self.tmpdir / "before.txt").write_text("was here")
        outside = self.workdir / "outside.txt"
        outside.write_text("not ours")
        with leaks.FileLeakCheck(clean=True) as check:
            (self.tmpdir / "new.txt").write_text("new")
            os.makedirs(self.tmpdir / "tree" / "deep")
            (self.tmpdir / "tree" / "deep" / "f").write_text("f")
            os.symlink(outside, self.tmpdir / "tree" / "link")
            os.symlink(self.workdir, self.tmpdir / "dirlink")
        self.assertEqual(3, check.leaks[0].size)
        self.assertThat(check.leaks[0].detail, Contains("removed all 3"))
        self.assertEqual(["before.txt"], os.listdir(self.tmpdir))
        self.assertEqual("not ours", outside.read_text())

    def worker(self, tmpdir: str) -> subprocess.Popen:
        """Start a process that joins the session, as a parallel worker
        does, with ``tmpdir`` as its temporary directory; return it once it
        has joined.
        """
        code = (
            "import sys\n"
            "from fixturestmp._fixtures.session import default_session\n"
            "print(default_session().path, flush=True)\n"
            "sys.stdin.read()\n"
        )
        env = python_env({"TMPDIR": tmpdir, "FIXTURESTMP_SESSION": str(self.sess.path)})
        process = subprocess.Popen(
            [sys.executable, "-c", code],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        stdin, stdout = process.stdin, process.stdout
        assert stdin is not None and stdout is not None  # PIPEs, as asked
        self.addCleanup(process.wait)
        self.addCleanup(stdin.close)
        joined = stdout.readline().strip()
        stdout.close()
        self.assertEqual(str(self.sess.path), joined)
        return process

    def test_clean_leaves_what_a_worker_sharing_the_temp_dir_may_own(self):
        other = self.worker(str(self.tmpdir))
        with leaks.FileLeakCheck(clean=True) as check:
            (self.tmpdir / "whose.txt").write_text("this test's or the worker's")
        [leak] = check.leaks
        self.assertThat(
            leak.detail,
            Contains(
                f"left in place: other processes of this session (pid {other.pid}) "
                f"use {self.tmpdir} too"
            ),
        )
        self.assertTrue((self.tmpdir / "whose.txt").exists())

    def test_clean_removes_when_workers_have_their_own_temp_dirs(self):
        self.worker(self.useFixture(fixtures.TempDir()).path)
        with leaks.FileLeakCheck(clean=True) as check:
            (self.tmpdir / "ours.txt").write_text("only this test's")
        self.assertThat(check.leaks[0].detail, Contains("removed all 1"))
        self.assertFalse((self.tmpdir / "ours.txt").exists())

    def test_own_base_directories_are_not_reported(self):
        with leaks.FileLeakCheck() as check:
            session = self.useFixture(self.session(root=self.tmpdir))
            os.mkdir(self.tmpdir / "pytest-of-someone")
        self.assertTrue(session.path.is_relative_to(self.tmpdir))
        self.assertEqual([], check.leaks)

    def test_entry_gone_again_by_the_end_is_not_reported(self):
        # What another worker's tempfile probe looks like: listed while it
        # existed, gone by the time the test ends. The listing cache is made
        # to serve that listing by giving the directory back its time.
        directory = str(self.tmpdir)
        with leaks.FileLeakCheck() as check:
            probe = self.tmpdir / "x1y2z3w4"
            probe.write_text("")
            os.utime(directory, ns=(0, 1_000_000_000))
            self.assertIn("x1y2z3w4", {n for n, _ in dirlisting.listing(directory)})
            probe.unlink()
            os.utime(directory, ns=(0, 1_000_000_000))
            if "x1y2z3w4" not in {n for n, _ in dirlisting.listing(directory)}:
                self.skipTest("this file system's directory size shows the change")
        self.assertEqual([], check.leaks)

    def test_nothing_added_nothing_reported(self):
        (self.tmpdir / "before.txt").write_text("x")
        with leaks.FileLeakCheck() as check:
            (self.tmpdir / "before.txt").write_text("changed content is fine")
        self.assertEqual([], check.leaks)
        self.assertEqual([], self.leak_records())
