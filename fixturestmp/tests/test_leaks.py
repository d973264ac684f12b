"""Tests for fixturestmp.leaks: files, fds, threads, environ, LeakCheck."""

import os
import subprocess
import sys
import tempfile
import threading
import time

import fixtures
import testtools
from testtools.matchers import Contains, HasLength, MatchesRegex

import fixturestmp
from fixturestmp import leaks
from fixturestmp.leaks import dirlisting
from fixturestmp.leaks.environ import EnvironProbe
from fixturestmp.tests.helpers import REPO_ROOT, run_python
from fixturestmp.tests.leak_helpers import LeakTestCase, details_text, run_case

ENV_NAME = "FIXTURESTMP_TEST_LEAKED_VARIABLE"


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
        env = dict(
            os.environ,
            TMPDIR=tmpdir,
            FIXTURESTMP_SESSION=str(self.sess.path),
            PYTHONPATH=str(REPO_ROOT),
        )
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


class TestDirListing(LeakTestCase):
    def make_old(self, path):
        """Set ``path``'s times an hour back: its listing is settled."""
        old = os.stat(path).st_mtime_ns - 3600 * 10**9
        os.utime(path, ns=(old, old))
        return old

    def coarse_clock(self):
        """Have the listing treat this file system as one whose times come
        from the timer tick (Linux before 6.13; ext3, FAT): a file system
        this test cannot make, whose times ``os.utime`` plays here."""
        dev = os.stat(self.tmpdir).st_dev
        self.useFixture(fixtures.MockPatchObject(dirlisting, "_later", {dev: False}))

    def test_unchanged_settled_directory_is_not_listed_again(self):
        (self.tmpdir / "a").write_text("x")
        self.make_old(self.tmpdir)
        first = dirlisting.listing(str(self.tmpdir))
        self.assertIs(first, dirlisting.listing(str(self.tmpdir)))
        self.assertEqual({"a"}, {name for name, _ in first})

    def test_a_change_is_seen(self):
        self.make_old(self.tmpdir)
        dirlisting.listing(str(self.tmpdir))
        (self.tmpdir / "new").write_text("x")
        names = {name for name, _ in dirlisting.listing(str(self.tmpdir))}
        self.assertEqual({"new"}, names)

    def test_a_change_right_after_a_listing_is_seen(self):
        # No time given back by hand: what any file system does.
        (self.tmpdir / "a").write_text("x")
        dirlisting.listing(str(self.tmpdir))
        os.rename(self.tmpdir / "a", self.tmpdir / "b")
        names = {name for name, _ in dirlisting.listing(str(self.tmpdir))}
        self.assertEqual({"b"}, names)

    def test_the_clock_is_tried_in_a_directory_removed_at_once(self):
        (self.tmpdir / "a").write_text("x")
        before = sorted(os.listdir(self.tmpdir))
        self.assertIsInstance(dirlisting.later_after_stat(str(self.tmpdir)), bool)
        self.assertEqual(before, sorted(os.listdir(self.tmpdir)))

    def test_a_clock_that_cannot_be_tried_is_not_trusted(self):
        # /proc takes no new directory: the listing falls back to waiting.
        self.assertFalse(dirlisting.later_after_stat("/proc"))

    def test_the_clock_probe_is_no_leak(self):
        with leaks.FileLeakCheck() as check:
            os.mkdir(self.tmpdir / (dirlisting.PROBE_PREFIX + "left"))
        self.assertEqual([], check.leaks)

    def test_a_fresh_listing_is_reused_where_changes_get_later_times(self):
        if not dirlisting.later_after_stat(str(self.tmpdir)):
            self.skipTest("this file system's times come from the timer tick")
        (self.tmpdir / "a").write_text("x")
        first = dirlisting.listing(str(self.tmpdir))
        self.assertIs(first, dirlisting.listing(str(self.tmpdir)))

    def test_a_change_within_the_same_clock_tick_is_seen(self):
        # A coarse clock can give a change the time of the change before it:
        # a listing taken while that time was recent is not trusted.
        self.coarse_clock()
        (self.tmpdir / "a").write_text("x")
        listed = os.stat(self.tmpdir).st_mtime_ns
        dirlisting.listing(str(self.tmpdir))
        (self.tmpdir / "b").write_text("x")
        os.utime(self.tmpdir, ns=(listed, listed))
        names = {name for name, _ in dirlisting.listing(str(self.tmpdir))}
        self.assertEqual({"a", "b"}, names)

    def test_a_change_within_the_same_second_is_seen_if_times_are_whole(self):
        # What a file system keeping times in whole seconds gives: the same
        # time to every change of that second, long after the clock's tick.
        # A rename keeps the directory's size and link count on every file
        # system: only the time can tell.
        self.coarse_clock()
        second = int(time.time() - 0.1) * 10**9
        (self.tmpdir / "a").write_text("x")
        os.utime(self.tmpdir, ns=(second, second))
        dirlisting.listing(str(self.tmpdir))
        os.rename(self.tmpdir / "a", self.tmpdir / "b")
        os.utime(self.tmpdir, ns=(second, second))
        names = {name for name, _ in dirlisting.listing(str(self.tmpdir))}
        self.assertEqual({"b"}, names)

    def test_fast_consecutive_tests_each_see_their_file(self):
        for number in range(50):
            with leaks.FileLeakCheck(clean=True) as check:
                (self.tmpdir / f"f{number}").write_text("x")
            self.assertEqual(1, len(check.leaks), number)
        self.assertEqual([], os.listdir(self.tmpdir))


class TestFdLeakCheck(LeakTestCase):
    def test_reports_descriptors_left_open_with_their_targets(self):
        with leaks.FdLeakCheck(test_id="t") as check:
            stream = open(self.workdir / "kept-open.txt", "w")
            closed = open(self.workdir / "closed.txt", "w")
            closed.close()
            reader, writer = os.pipe()
        self.addCleanup(stream.close)
        self.addCleanup(os.close, reader)
        self.addCleanup(os.close, writer)
        [leak] = check.leaks
        self.assertEqual(("fds", 3), (leak.check, leak.size))
        self.assertThat(leak.detail, Contains(f"({self.workdir}/kept-open.txt)"))
        self.assertThat(leak.detail, Contains("pipe:"))
        self.assertNotIn("closed.txt", leak.detail)
        self.assertThat(leak.summary, MatchesRegex(r"LEAKED 3 file descriptors \d+ "))

    def test_reused_number_of_the_listing_is_still_found(self):
        # The listing itself briefly takes the lowest free descriptor: the
        # first file the test opens gets that very number.
        with leaks.FdLeakCheck() as check:
            stream = open(self.workdir / "first.txt", "w")
        self.addCleanup(stream.close)
        self.assertThat(check.leaks, HasLength(1))
        self.assertThat(check.leaks[0].detail, Contains(f"fd {stream.fileno()} ("))

    def test_closed_descriptors_are_not_reported(self):
        with leaks.FdLeakCheck() as check:
            with open(self.workdir / "f.txt", "w") as stream:
                stream.write("x")
        self.assertEqual([], check.leaks)

    def test_one_closed_and_another_opened_is_still_found(self):
        # As many descriptors open after as before, but not the same ones:
        # the last listing must not be taken for what is open.
        old = os.open(self.workdir / "old.txt", os.O_WRONLY | os.O_CREAT)
        with leaks.FdLeakCheck() as check:
            # A number free now was not open before the test.
            new = os.open(self.workdir / "new.txt", os.O_WRONLY | os.O_CREAT)
            os.close(old)
        self.addCleanup(os.close, new)
        [leak] = check.leaks
        self.assertThat(leak.detail, Contains(f"fd {new} ("))


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


class TestEnvironLeakCheck(LeakTestCase):
    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.EnvironmentVariable(ENV_NAME))
        self.useFixture(fixtures.EnvironmentVariable(ENV_NAME + "_OLD", "old"))
        self.addCleanup(os.chdir, os.getcwd())

    def test_reports_added_removed_changed_variables_and_cwd(self):
        with leaks.EnvironLeakCheck(test_id="t") as check:
            os.environ[ENV_NAME] = "new"
            os.environ["HOME"] = os.environ.get("HOME", "") + "-changed"
            del os.environ[ENV_NAME + "_OLD"]
            os.chdir(self.workdir)
        self.addCleanup(os.environ.__setitem__, "HOME", os.environ["HOME"][:-8])
        [leak] = check.leaks
        self.assertEqual(4, leak.size)
        self.assertThat(
            leak.summary,
            Contains(f"LEAKED 4 environment changes {ENV_NAME} set, "),
        )
        self.assertThat(leak.detail, Contains(f"{ENV_NAME}: set to 'new' (was unset)"))
        self.assertThat(leak.detail, Contains(f"{ENV_NAME}_OLD: unset (was 'old')"))
        self.assertThat(leak.detail, Contains("HOME: changed to"))
        self.assertThat(leak.detail, Contains(f"working directory: {self.workdir}"))

    def test_clean_restores(self):
        cwd = os.getcwd()
        with leaks.EnvironLeakCheck(clean=True) as check:
            os.environ[ENV_NAME] = "new"
            os.environ[ENV_NAME + "_OLD"] = "changed"
            os.chdir(self.workdir)
        self.assertEqual(3, check.leaks[0].size)
        self.assertNotIn(ENV_NAME, os.environ)
        self.assertEqual("old", os.environ[ENV_NAME + "_OLD"])
        self.assertEqual(cwd, os.getcwd())

    def test_fail_raises_leak_error_when_a_variable_is_left_set(self):
        def leave_variable_set():
            with fixturestmp.LeakCheck(checks=("environ",), action="fail"):
                os.environ[ENV_NAME] = "1"

        error = self.assertRaises(leaks.LeakError, leave_variable_set)
        self.assertIsInstance(error, AssertionError)
        self.assertThat(str(error), Contains(f"LEAKED environment change {ENV_NAME}"))
        # Inside a running test, the leak is the test's.
        self.assertThat(str(error), Contains(f" in {self.id()}\n"))
        self.assertEqual(["environ"], [leak.check for leak in error.leaks])

    def test_fail_does_not_hide_the_blocks_own_error(self):
        def fail_in_block():
            with leaks.EnvironLeakCheck(action="fail"):
                os.environ[ENV_NAME] = "1"
                raise KeyError("the block's own error")

        self.assertRaises(KeyError, fail_in_block)

    def test_clean_block_passes(self):
        with leaks.EnvironLeakCheck(action="fail") as check:
            os.environ[ENV_NAME] = "1"
            del os.environ[ENV_NAME]
        self.assertEqual([], check.leaks)

    def test_a_probe_used_again_sees_changes_made_between_its_uses(self):
        # Per-test checks reuse their probes, which keep their snapshot
        # while the environment holds it.
        probe = EnvironProbe()
        probe.start()
        self.assertEqual([], probe.stop("first"))
        os.environ[ENV_NAME] = "set between tests"
        probe.start()
        self.assertEqual([], probe.stop("second"))
        probe.start()
        os.environ[ENV_NAME] = "changed by the third"
        [leak] = probe.stop("third")
        self.assertThat(
            leak.detail,
            Contains(
                f"{ENV_NAME}: changed to 'changed by the third' "
                "(was 'set between tests')"
            ),
        )
        probe.start()
        del os.environ[ENV_NAME]
        [leak] = probe.stop("fourth")
        self.assertThat(
            leak.detail, Contains(f"{ENV_NAME}: unset (was 'changed by the third')")
        )


class TestReporting(LeakTestCase):
    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.EnvironmentVariable(ENV_NAME))

    def test_details_of_the_case_and_manifest_records(self):
        class Leaky(testtools.TestCase):
            def test_leaky(self):
                self.useFixture(leaks.LeakCheck(checks="environ,files"))
                os.environ[ENV_NAME] = "1"
                open(os.path.join(tempfile.gettempdir(), "left"), "w").close()

        case = Leaky("test_leaky")
        result = run_case(case)
        self.assertTrue(result.wasSuccessful())
        texts = details_text(case)
        self.assertEqual(["leak-environ", "leak-files"], sorted(texts))
        self.assertThat(
            texts["leak-files"], Contains(f"LEAKED temp entry left in {case.id()}")
        )
        records = self.leak_records()
        self.assertEqual(
            [
                {
                    "kind": "leak",
                    "check": "environ",
                    "id": case.id(),
                    "size": 1,
                    "summary": (
                        f"LEAKED environment change {ENV_NAME} set in {case.id()}"
                    ),
                    "pid": os.getpid(),
                },
                {
                    "kind": "leak",
                    "check": "files",
                    "id": case.id(),
                    "size": 1,
                    "summary": f"LEAKED temp entry left in {case.id()}",
                    "pid": os.getpid(),
                },
            ],
            sorted(records, key=lambda record: record["check"]),
        )

    def test_fail_fails_the_case_and_says_what_leaked(self):
        class Leaky(testtools.TestCase):
            def test_leaky(self):
                self.useFixture(leaks.EnvironLeakCheck(action="fail"))
                os.environ[ENV_NAME] = "1"

        case = Leaky("test_leaky")
        result = run_case(case)
        [(_, text)] = result.failures
        self.assertThat(text, Contains(f"LEAKED environment change {ENV_NAME} set"))
        self.assertIn("leak-environ", details_text(case))

    def test_explicit_session_gets_the_records(self):
        other = self.useFixture(self.session())
        with leaks.EnvironLeakCheck(session=other, test_id="mine"):
            os.environ[ENV_NAME] = "1"
        self.assertEqual([], self.leak_records())
        from fixturestmp._store.manifest import read_manifest

        [record] = [r for r in read_manifest(other.path) if r["kind"] == "leak"]
        self.assertEqual("mine", record["id"])

    def test_leak_check_names_and_options(self):
        check = leaks.LeakCheck(
            checks="all", kill=True, clean=True, memory_leak_limit="1MB"
        )
        self.assertEqual(
            ("files", "fds", "environ", "threads", "processes", "memory"), check.checks
        )
        by_name = {member.name: member for member in check.members}
        self.assertTrue(by_name["processes"].kill)
        self.assertTrue(by_name["files"].clean)
        self.assertEqual(10**6, by_name["memory"].memory_leak_limit)

    def test_configured_values_are_the_defaults(self):
        self.useFixture(
            fixtures.EnvironmentVariable("FIXTURESTMP_LEAK_CHECKS", "threads")
        )
        self.useFixture(fixtures.EnvironmentVariable("FIXTURESTMP_LEAK_ACTION", "fail"))
        self.useFixture(
            fixtures.EnvironmentVariable("FIXTURESTMP_MEMORY_LEAK_LIMIT", "2MiB")
        )
        self.assertEqual(("threads",), leaks.LeakCheck().checks)
        self.assertEqual("fail", leaks.LeakCheck().action)
        self.assertEqual(2 * 1024**2, leaks.MemoryLeakCheck().memory_leak_limit)

    def test_bad_values_raise_config_error(self):
        error = self.assertRaises(
            fixturestmp.ConfigError, leaks.LeakCheck, checks="memory,disk"
        )
        self.assertThat(str(error), Contains("unknown check 'disk'"))
        self.assertRaises(fixturestmp.ConfigError, leaks.LeakCheck, action="explode")
        self.assertRaises(
            fixturestmp.ConfigError, leaks.MemoryLeakCheck, memory_leak_limit="lots"
        )


class TestPublicNames(LeakTestCase):
    def test_reachable_after_import_fixturestmp(self):
        done = run_python(
            [
                "-c",
                "import fixturestmp; "
                "print(fixturestmp.leaks.ProcessLeakCheck(kill=True).kill, "
                "fixturestmp.LeakCheck is fixturestmp.leaks.LeakCheck, "
                "issubclass(fixturestmp.LeakError, AssertionError))",
            ],
            self.workdir,
        )
        self.assertEqual("True True True\n", done.stdout, done.stderr)


class TestLabels(LeakTestCase):
    def leaked_in(self, check: leaks.Check) -> str:
        self.useFixture(fixtures.EnvironmentVariable(ENV_NAME))
        with check:
            os.environ[ENV_NAME] = "1"
        [leak] = check.leaks
        return leak.summary.rpartition(" in ")[2]

    def test_the_test_id_given(self):
        self.assertEqual("mine", self.leaked_in(leaks.EnvironLeakCheck(test_id="mine")))

    def test_the_running_test(self):
        self.assertEqual(self.id(), self.leaked_in(leaks.LeakCheck(("environ",))))

    def test_outside_a_test_the_class_name(self):
        code = (
            "import os\n"
            "from fixturestmp.leaks import EnvironLeakCheck, LeakCheck\n"
            "for check in (EnvironLeakCheck(), LeakCheck(('environ',))):\n"
            "    with check:\n"
            f"        os.environ['{ENV_NAME}'] = check.name\n"
            "    print(check.leaks[0].summary)\n"
        )
        done = run_python(["-c", code], self.workdir, {ENV_NAME: ""})
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertEqual(
            [
                f"LEAKED environment change {ENV_NAME} changed in EnvironLeakCheck",
                f"LEAKED environment change {ENV_NAME} changed in LeakCheck",
            ],
            done.stdout.splitlines(),
        )
