"""Tests for fixturestmp._cli.run: ``fixturestmp run`` end to end."""

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from testtools.matchers import Contains, DirExists, Not, StartsWith

from fixturestmp._store import owners
from fixturestmp._store.manifest import ManifestWriter
from fixturestmp._store.sessiondir import MARKER_NAME
from fixturestmp.tests.support import (
    REPO_ROOT,
    HookedPython,
    IsolatedTestCase,
    cli_command,
    fill,
    make_immutable,
    mount_tmpfs,
    python_env,
    run_cli,
    run_python,
    write_files,
)
from fixturestmp.tests.support.reliability import as_user

SUITE = """
    import testtools
    from fixturestmp import TempDirFixture


    class TestMixed(testtools.TestCase):
        def use(self):
            tmp = self.useFixture(TempDirFixture())
            (tmp.path / "evidence").write_text(self.id())

        def test_pass_one(self):
            self.use()

        def test_pass_two(self):
            self.use()

        def test_fail_one(self):
            self.use()
            self.fail("first failure")

        def test_fail_two(self):
            self.use()
            raise RuntimeError("second failure")

        def test_pass_three(self):
            self.use()
"""


class WrapperTestCase(IsolatedTestCase):
    def run_cli(self, *args: str, env=None, **kwargs):
        return run_cli(*args, cwd=self.workdir, root=self.root, env=env, **kwargs)


class TestRunStestr(WrapperTestCase):
    def setUp(self):
        super().setUp()
        write_files(
            self.workdir,
            {
                ".stestr.conf": "[DEFAULT]\ntest_path=./suite\ntop_dir=./\n",
                "suite/__init__.py": "",
                "suite/test_mixed.py": SUITE,
            },
        )
        self.run = self.run_cli(
            "run", "--", sys.executable, "-m", "stestr", "run", "--concurrency", "3"
        )

    def test_one_session_holds_every_kept_directory(self):
        self.assertEqual(1, self.run.returncode, self.run.stderr)
        self.assertEqual(["run-0"], self.sessions())
        kept = sorted(
            p.name
            for p in (self.base / "run-0").iterdir()
            if not p.name.startswith(".")
        )
        self.assertEqual(["test_fail_one0", "test_fail_two0"], kept)
        self.assertThat(self.run.stderr, Contains("2 of failed tests (2 kept)"))
        self.assertThat(
            self.run.stderr,
            Contains(f"FAILED suite.test_mixed.TestMixed.test_fail_one  "
                     f"{self.base / 'run-0' / 'test_fail_one0'}"),
        )  # fmt: skip
        self.assertEqual([], owners.live_owners(self.base / "run-0"))

    def test_ls_json_and_show(self):
        listed = self.run_cli("ls", "--json")
        self.assertEqual(0, listed.returncode, listed.stderr)
        sessions = json.loads(listed.stdout)
        self.assertEqual(1, len(sessions))
        session = sessions[0]
        self.assertEqual(
            (str(self.base / "run-0"), 0, False),
            (session["path"], session["number"], session["live"]),
        )
        by_name = {t["id"].rpartition(".")[2]: t for t in session["tests"]}
        # Failed tests are listed; removed directories of passed ones counted.
        self.assertEqual({"test_fail_one", "test_fail_two"}, set(by_name))
        self.assertEqual(3, session["removed"])
        self.assertEqual(
            {"outcome": "failed", "retained": True},
            {k: by_name["test_fail_one"][k] for k in ("outcome", "retained")},
        )
        self.assertThat(by_name["test_fail_two"]["path"], DirExists())
        listed = self.run_cli("ls")
        self.assertThat(
            listed.stdout,
            Contains("(ended, 5 temporary directories, 2 of failed tests)"),
        )
        failed = json.loads(self.run_cli("ls", "--json", "--failed").stdout)
        self.assertEqual(2, len(failed[0]["tests"]))

        shown = self.run_cli("show", "test_fail_one")
        self.assertEqual(0, shown.returncode)
        self.assertEqual(
            str(self.base / "run-0" / "test_fail_one0"), shown.stdout.strip()
        )
        missing = self.run_cli("show", "nothing_matches")
        self.assertEqual(1, missing.returncode)
        self.assertEqual("", missing.stdout)
        self.assertThat(missing.stderr, Contains("nothing_matches"))
        text = self.run_cli("ls")
        self.assertThat(text.stdout, Contains("2 of failed tests"))
        self.assertThat(text.stdout, Contains("test_fail_two0"))


class TestRunStatus(WrapperTestCase):
    def test_statuses_pass_through(self):
        for command, status in [
            (["true"], 0),
            (["sh", "-c", "exit 7"], 7),
            (["no-such-command"], 127),
        ]:
            run = self.run_cli("run", "--", *command)
            self.assertEqual(status, run.returncode, run.stderr)
        self.assertThat(run.stderr, Contains("no-such-command: command not found"))

    def test_run_starts_without_psutil(self):
        # Importing psutil costs ~14 ms of a ~100 ms budget: start times come
        # from /proc, and only the leak checks need psutil.
        code = (
            "import sys, fixturestmp.cli, fixturestmp._cli.run;"
            "import fixturestmp._fixtures.session;"
            "fixturestmp._store.owners.owner_token();"
            "print(sorted(m for m in sys.modules if m.startswith('psutil')))"
        )
        run = run_python(["-c", code], self.workdir)
        self.assertEqual((0, "[]"), (run.returncode, run.stdout.strip()), run.stderr)

    def test_missing_command_is_a_usage_error(self):
        run = self.run_cli("run")
        self.assertEqual(2, run.returncode)
        self.assertThat(run.stderr, Contains("give the command after --"))

    def test_bad_option_names_the_option(self):
        run = self.run_cli("run", "--retention-count", "three", "--", "true")
        self.assertEqual(2, run.returncode)
        self.assertThat(
            run.stderr, Contains("retention_count: 'three' from --retention-count")
        )
        self.assertEqual([], self.sessions())

    def test_policy_option_reaches_the_workers(self):
        code = "import fixturestmp\nwith fixturestmp.TempDirFixture('w'):\n    pass\n"
        run = self.run_cli(
            "run", "--retention-policy", "all", "--", sys.executable, "-c", code,
            env={"PYTHONPATH": str(REPO_ROOT)},
        )  # fmt: skip
        self.assertEqual(0, run.returncode, run.stderr)
        self.assertThat(str(self.base / "run-0" / "w0"), DirExists())


class TestTempLeaks(WrapperTestCase):
    SCRIPT = "mkdir $TMPDIR/new-dir && echo x > $TMPDIR/new-file"

    def make_tmpdir(self) -> Path:
        tmpdir = self.workdir / "private-tmp"
        (tmpdir / "old-dir").mkdir(parents=True)
        (tmpdir / "old-file").write_text("older")
        return tmpdir

    def test_check_leaks_names_exactly_the_new_entries(self):
        tmpdir = self.make_tmpdir()
        run = self.run_cli(
            "run", "--check-leaks", "--", "sh", "-c", self.SCRIPT,
            env={"TMPDIR": str(tmpdir), "FIXTURESTMP_ROOT": str(tmpdir)},
        )  # fmt: skip
        self.assertEqual(0, run.returncode, run.stderr)
        leaked = [line for line in run.stderr.splitlines() if line.startswith("LEAKED")]
        self.assertEqual(
            [
                f"LEAKED temp directory {tmpdir / 'new-dir'}: left behind",
                f"LEAKED temp file {tmpdir / 'new-file'} (2 bytes): left behind",
            ],
            leaked,
        )
        self.assertThat(str(tmpdir / "new-dir"), DirExists())

    def test_clean_leaks_leaves_exactly_the_older_entries(self):
        tmpdir = self.make_tmpdir()
        run = self.run_cli(
            "run", "--clean-leaks", "--fail-on-leak", "--", "sh", "-c", self.SCRIPT,
            env={"TMPDIR": str(tmpdir), "FIXTURESTMP_ROOT": str(tmpdir)},
        )  # fmt: skip
        self.assertEqual(3, run.returncode, run.stderr)
        self.assertEqual(
            ["fixturestmp-of-root", "old-dir", "old-file"], sorted(os.listdir(tmpdir))
        )
        self.assertEqual("older", (tmpdir / "old-file").read_text())

    def test_a_worker_cleans_its_own_leaks_under_run(self):
        # fixturestmp run owns the session and shares the temp directory:
        # as the worker's parent it is no other worker, and does not stop
        # the files check from cleaning.
        tmpdir = self.make_tmpdir()
        code = (
            "import os, tempfile\n"
            "from fixturestmp import leaks\n"
            "with leaks.FileLeakCheck(clean=True) as check:\n"
            "    open(os.path.join(tempfile.gettempdir(), 'left'), 'w').close()\n"
            "print(check.leaks[0].detail.splitlines()[-1])\n"
        )
        run = self.run_cli(
            "run", "--", sys.executable, "-c", code,
            env={"TMPDIR": str(tmpdir), "FIXTURESTMP_ROOT": str(self.root)},
        )  # fmt: skip
        self.assertEqual(
            (0, "removed all 1\n"), (run.returncode, run.stdout), run.stderr
        )
        self.assertEqual(["old-dir", "old-file"], sorted(os.listdir(tmpdir)))

    def test_no_leak_no_output(self):
        tmpdir = self.make_tmpdir()
        run = self.run_cli(
            "run", "--check-leaks", "--fail-on-leak", "--", "true",
            env={"TMPDIR": str(tmpdir)},
        )  # fmt: skip
        self.assertEqual((0, ""), (run.returncode, run.stderr))


class TestSignals(WrapperTestCase):
    def test_sigterm_stops_the_command_and_ends_the_session(self):
        ready = self.workdir / "child-pid"
        child = (
            "import os, sys, time\n"
            "open(sys.argv[1] + '.tmp', 'w').write(str(os.getpid()))\n"
            "os.rename(sys.argv[1] + '.tmp', sys.argv[1])\n"
            "time.sleep(600)\n"
        )
        env = python_env({"FIXTURESTMP_ROOT": str(self.root)})
        wrapper = subprocess.Popen(
            [sys.executable, *cli_command(
                "run", "--retention-policy", "failed", "--",
                sys.executable, "-c", child, str(ready))],
            env=env, cwd=self.workdir, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.addCleanup(wrapper.wait)
        self.addCleanup(lambda: wrapper.poll() is None and wrapper.kill())
        deadline = time.monotonic() + 60
        while not ready.exists():
            self.assertIsNone(wrapper.poll(), "the wrapper exited early")
            self.assertLess(time.monotonic(), deadline, "the command never started")
            time.sleep(0.01)
        child_pid = int(ready.read_text())
        wrapper.send_signal(signal.SIGTERM)
        self.assertEqual(128 + signal.SIGTERM, wrapper.wait(timeout=60))
        self.assertRaises(ProcessLookupError, os.kill, child_pid, 0)
        # Failed (killed) under policy failed: kept, but owned by no one.
        self.assertThat(str(self.base / "run-0"), DirExists())
        self.assertEqual([], owners.live_owners(self.base / "run-0"))
        with open(self.base / ".lock") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        cleaned = self.run_cli("clean", "--all")
        self.assertEqual(0, cleaned.returncode, cleaned.stderr)
        self.assertThat(str(self.base / "run-0"), Not(DirExists()))


# Makes a failed test's directory in the session, says so on stdout, then
# waits for its stdin to close before it exits with a failure.
FAIL_AND_WAIT = """
import sys
import fixturestmp
with fixturestmp.TempDirFixture("evidence") as tmp:
    (tmp.path / "log").write_text("why it failed")
    tmp.mark_failed()
print(tmp.path, flush=True)
sys.stdin.read()
sys.exit(1)
"""


class TestConcurrentRuns(WrapperTestCase):
    """Every path a run prints as kept exists after it exits."""

    def start(self, count: str) -> subprocess.Popen:
        env = python_env({"FIXTURESTMP_ROOT": str(self.root)})
        run = subprocess.Popen(
            [sys.executable, *cli_command(
                "run", "--retention-count", count, "--",
                sys.executable, "-c", FAIL_AND_WAIT)],
            env=env, cwd=self.workdir, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.addCleanup(run.wait)
        self.addCleanup(lambda: None if run.poll() is not None else run.kill())
        assert run.stdout is not None and run.stderr is not None  # piped
        self.addCleanup(run.stdout.close)
        self.addCleanup(run.stderr.close)
        made = run.stdout.readline().strip()
        self.assertTrue(made, "the command never made its directory")
        return run

    def finish(self, run: subprocess.Popen) -> list[str]:
        """End ``run``; return the paths it printed as kept, checked there."""
        assert run.stdin is not None and run.stderr is not None  # piped
        run.stdin.close()
        summary = run.stderr.read()
        self.assertEqual(1, run.wait(timeout=120), summary)
        kept = [line.split()[-1] for line in summary.splitlines()
                if line.startswith("FAILED ")]  # fmt: skip
        self.assertNotEqual([], kept, summary)
        for path in kept:
            self.assertThat(path, DirExists(), summary)
        return kept

    def test_the_run_ending_last_keeps_its_own_session(self):
        older = self.start("1")
        newer = self.start("1")
        self.finish(newer)
        kept = self.finish(older)
        self.assertEqual(["run-0"], self.sessions())
        self.assertThat(kept[0], Contains("/run-0/"))

    def test_finishing_in_start_order(self):
        older = self.start("1")
        newer = self.start("1")
        self.finish(older)
        kept = self.finish(newer)
        self.assertEqual(["run-1"], self.sessions())
        self.assertThat(kept[0], Contains("/run-1/"))


class TestCleanErrors(WrapperTestCase):
    """Every failure is one clear line, never a traceback."""

    def mount_tmpfs(self, **options) -> Path:
        return mount_tmpfs(self, self.root / "mnt", **options)

    def assertOneLine(self, run, prefix: str, *parts: str) -> None:
        self.assertNotIn("Traceback", run.stderr)
        lines = run.stderr.splitlines()
        self.assertEqual(1, len(lines), run.stderr)
        self.assertThat(lines[0], StartsWith(prefix))
        for part in parts:
            self.assertThat(lines[0], Contains(part))

    def test_read_only_root_at_start(self):
        mnt = self.mount_tmpfs(size="1m")
        subprocess.check_call(["mount", "-o", "remount,ro", str(mnt)])
        ran = self.workdir / "ran"
        run = self.run_cli(
            "run", "--root", str(mnt), "--", "touch", str(ran)
        )  # fmt: skip
        self.assertEqual(2, run.returncode, run.stderr)
        self.assertOneLine(
            run, "fixturestmp run: ", str(mnt), "read-only", "FIXTURESTMP_ROOT"
        )
        self.assertFalse(ran.exists(), "the command ran")
        self.assertEqual([], os.listdir(mnt))

    def test_disk_full_at_start(self):
        mnt = self.mount_tmpfs(size="256k", nr_inodes=1000)
        fill(mnt / "filler")
        ran = self.workdir / "ran"
        run = self.run_cli("run", "--root", str(mnt), "--", "touch", str(ran))
        self.assertEqual(2, run.returncode, run.stderr)
        self.assertOneLine(
            run, "fixturestmp run: ", str(mnt), "is full", "FIXTURESTMP_ROOT"
        )
        self.assertFalse(ran.exists(), "the command ran")

    def test_undeletable_file_at_the_end(self):
        # The command leaves an immutable file in its session, which policy
        # none then removes: the run's status stays the command's.
        self.addCleanup(
            subprocess.call, ["chattr", "-R", "-i", str(self.root)],
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.immutable_probe()
        code = (
            "import os, pathlib, subprocess\n"
            "stuck = pathlib.Path(os.environ['FIXTURESTMP_SESSION']) / 'stuck'\n"
            "stuck.write_text('x')\n"
            "subprocess.check_call(['chattr', '+i', str(stuck)])\n"
        )
        run = self.run_cli(
            "run", "--retention-policy", "none", "--", sys.executable, "-c", code
        )
        self.assertEqual(0, run.returncode, run.stderr)
        self.assertNotIn("Traceback", run.stderr)
        # Named where it is left: the session was renamed to garbage.
        left = next(self.base.glob(".garbage-*-run-0")) / "stuck"
        self.assertThat(run.stderr, Contains(str(left)))
        self.assertThat(run.stderr, Contains("Operation not permitted"))
        self.assertThat(run.stderr, Contains("chattr -i"))

    def immutable_probe(self) -> None:
        probe = self.root / "probe"
        probe.write_text("x")
        make_immutable(self, probe)
        subprocess.check_call(["chattr", "-i", str(probe)])

    def test_undeletable_file_at_exit_of_a_plain_process(self):
        self.addCleanup(
            subprocess.call, ["chattr", "-R", "-i", str(self.root)],
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.immutable_probe()
        code = (
            "import subprocess, fixturestmp\n"
            "with fixturestmp.TempDirFixture('t') as tmp:\n"
            "    session = tmp.session\n"
            "stuck = session.path / 'stuck'\n"
            "stuck.write_text('x')\n"
            "subprocess.check_call(['chattr', '+i', str(stuck)])\n"
        )
        run = run_python(
            ["-c", code], self.workdir,
            {"FIXTURESTMP_ROOT": str(self.root),
             "FIXTURESTMP_RETENTION_POLICY": "none"},
        )  # fmt: skip
        self.assertEqual(0, run.returncode, run.stderr)
        left = next(self.base.glob(".garbage-*-run-0")) / "stuck"
        self.assertOneLine(
            run, "fixturestmp: ", str(left), "Operation not permitted",
        )  # fmt: skip

    def test_ls_into_a_closed_pipe(self):
        writer = ManifestWriter(self.base / "run-0")
        (self.base / "run-0").mkdir(parents=True)
        (self.base / "run-0" / MARKER_NAME).touch()
        for number in range(2000):  # Far more than a pipe holds.
            writer.append(
                {"kind": "test", "id": f"suite.test_{number}", "outcome": "failed",
                 "path": f"{self.base}/run-0/test_{number}0", "retained": True}
            )  # fmt: skip
        writer.close()
        for args in ("ls", "ls --json"):
            run = subprocess.run(
                f"{sys.executable} -m fixturestmp.cli {args} | head -1",
                shell=True, cwd=self.workdir, capture_output=True, text=True,
                env=python_env({"FIXTURESTMP_ROOT": str(self.root)}),
            )  # fmt: skip
            self.assertEqual("", run.stderr, args)
            self.assertEqual(1, len(run.stdout.splitlines()), args)

    def test_manifest_not_writable_still_names_the_failed_directory(self):
        mnt = self.mount_tmpfs(size="512k", nr_inodes=1000)
        code = (
            "import sys, fixturestmp\n"
            "from fixturestmp.tests.support import fill\n"
            "tmp = fixturestmp.TempDirFixture('full')\n"
            "tmp.setUp()\n"
            "fill(sys.argv[1])\n"
            "tmp.mark_failed()\n"
            "try:\n"
            "    tmp.cleanUp()\n"
            "except OSError as error:\n"
            "    print('cleanUp:', error, file=sys.stderr)\n"
            "sys.exit(1)\n"
        )
        run = self.run_cli(
            "run", "--root", str(mnt), "--",
            sys.executable, "-c", code, str(mnt / "filler"),
        )  # fmt: skip
        self.assertEqual(1, run.returncode, run.stderr)
        self.assertNotIn("Traceback", run.stderr)
        kept = mnt / self.base.name / "run-0" / "full0"
        self.assertThat(str(kept), DirExists())
        self.assertThat(run.stderr, Contains(f"UNRECORDED  {kept}"))
        self.assertThat(run.stderr, Contains("could not be written"))
        self.assertThat(run.stderr, Contains("is full"))


# A failing test's directory, then the retention count the command sees.
FAIL_AND_SAY_COUNT = """
import os, sys
import fixturestmp
with fixturestmp.TempDirFixture("evidence") as tmp:
    tmp.mark_failed()
print(tmp.path, os.environ["FIXTURESTMP_RETENTION_COUNT"], flush=True)
sys.exit(1)
"""


class TestRetentionCountZero(WrapperTestCase):
    def test_the_summary_says_the_directory_went_and_why(self):
        run = self.run_cli(
            "run", "--retention-count", "0", "--",
            sys.executable, "-c", FAIL_AND_SAY_COUNT,
        )  # fmt: skip
        self.assertEqual(1, run.returncode, run.stderr)
        path, count = run.stdout.split()
        self.assertEqual("0", count)  # the workers know it too
        self.assertThat(path, Not(DirExists()))
        self.assertEqual([], self.sessions())
        self.assertThat(run.stderr, Contains("1 of failed tests (0 kept)"))
        self.assertThat(run.stderr, Contains("retention_count is 0"))
        self.assertThat(run.stderr, Contains("--retention-count 1"))
        failed = [x for x in run.stderr.splitlines() if x.startswith("FAILED ")]
        self.assertEqual(1, len(failed), run.stderr)
        self.assertThat(failed[0], Contains("(removed at the end of the run)"))
        self.assertNotIn(path, run.stderr)  # never shown as if it were there


# Records a kept directory whose test's outcome is unknown; the command
# itself passes.
KEPT_UNKNOWN = """
import fixturestmp
session = fixturestmp.default_session()
path = session.mktemp("shared")
session.record("suite.TestShared.setUpClass", path, "unknown", True)
print(path, flush=True)
"""


class TestUnknownOutcome(WrapperTestCase):
    def test_kept_like_a_failure_and_listed(self):
        run = self.run_cli("run", "--", sys.executable, "-c", KEPT_UNKNOWN)
        self.assertEqual(0, run.returncode, run.stderr)
        path = run.stdout.strip()
        # Policy failed and a passing command: the session stays for it.
        self.assertThat(path, DirExists())
        self.assertThat(run.stderr, Contains("1 kept: outcome unknown"))
        self.assertThat(
            run.stderr, Contains(f"KEPT suite.TestShared.setUpClass  {path}")
        )

    def test_in_process_session_keeps_it(self):
        with self.session() as session:
            path = session.mktemp("shared")
            session.record("suite.TestShared.setUpClass", path, "unknown", True)
        self.assertThat(str(path), DirExists())


def _run_cli_capturing(*args: str) -> dict:
    """In a child as another user: run the command; return status, stderr."""
    import io

    from fixturestmp import cli

    captured = io.StringIO()
    real, sys.stderr = sys.stderr, captured
    try:
        status = cli.main(list(args))
    finally:
        sys.stderr = real
    return {"status": status, "stderr": captured.getvalue()}


class TestCleanErrorsAsAnotherUser(WrapperTestCase):
    def test_root_not_writable_at_start(self):
        os.chmod(self.root, 0o755)  # nobody may look, not write
        ran = self.root / "ran"
        reply = as_user(
            65534, _run_cli_capturing, "run", "--root", str(self.root), "--",
            "touch", str(ran),
        )  # fmt: skip
        self.assertEqual(2, reply["status"], reply["stderr"])
        lines = reply["stderr"].splitlines()
        self.assertEqual(1, len(lines), reply["stderr"])
        self.assertThat(lines[0], StartsWith("fixturestmp run: could not "))
        for part in (str(self.root), "Permission denied", "FIXTURESTMP_ROOT"):
            self.assertThat(lines[0], Contains(part))
        self.assertFalse(ran.exists())
        self.assertEqual([], self.sessions())


DYING_UNITTEST = """
    import os
    import unittest

    from fixturestmp import TempDirFixture


    class TestDies(unittest.TestCase):
        def test_dies_with_status_zero(self):
            with TempDirFixture() as tmp:
                (tmp.path / "evidence").write_text("the last words")
                os._exit(0)
"""

DYING_PYTEST = """
    import os

    from fixturestmp import TempDirFixture


    def test_dies_with_status_zero():
        with TempDirFixture() as tmp:
            (tmp.path / "evidence").write_text("the last words")
            os._exit(0)
"""


class TestProcessEndsMidTest(WrapperTestCase):
    """A test's process ends mid-test with status 0: its directory never
    got an outcome, so the end of the session keeps it, named UNRECORDED.
    """

    def check_kept(self, command: list[str], module: str) -> None:
        write_files(self.workdir, {"suite/__init__.py": "", module: self.suite})
        run = self.run_cli("run", "--", sys.executable, *command)
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        kept = self.base / "run-0" / "test_dies_with_status_zero0"
        self.assertEqual("the last words", (kept / "evidence").read_text())
        self.assertThat(run.stderr, Contains(f"UNRECORDED  {kept}\n"))
        self.assertThat(run.stderr, Contains("never recorded an outcome"))
        listed = json.loads(self.run_cli("ls", "--json").stdout)
        self.assertEqual(
            [{"id": "", "path": str(kept), "outcome": "unknown", "retained": True,
              "unrecorded": True}],
            listed[0]["tests"],
        )  # fmt: skip
        self.assertThat(self.run_cli("ls").stdout, Contains(f"UNRECORDED  {kept}\n"))

    def test_under_unittest(self):
        self.suite = DYING_UNITTEST
        self.check_kept(["-m", "unittest", "suite.test_dies"], "suite/test_dies.py")

    def test_under_pytest(self):
        self.suite = DYING_PYTEST
        self.check_kept(
            ["-m", "pytest", "-q", "-p", "no:cacheprovider", "suite"],
            "suite/test_dies.py",
        )


class TestAdoptWithoutTheHook(WrapperTestCase):
    """``--adopt`` where no process loads the start-up hook says so, once."""

    LINE = "fixturestmp: --adopt: no process of the command loaded"

    def test_an_environment_without_fixturestmp_is_named(self):
        # A virtual environment of its own, without fixturestmp (as a tox
        # environment whose deps lack it): its Python never loads the hook.
        venv = self.workdir / "bare"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)],
                       check=True)  # fmt: skip
        run = self.run_cli("run", "--adopt", "--", str(venv / "bin" / "python"),
                           "-c", "pass")  # fmt: skip
        self.assertEqual(0, run.returncode, run.stderr)
        lines = [line for line in run.stderr.splitlines() if self.LINE in line]
        self.assertEqual(1, len(lines), run.stderr)
        self.assertThat(lines[0], Contains("tox: add fixturestmp to deps"))

    def test_an_environment_with_the_hook_is_quiet(self):
        hooked = HookedPython(self.workdir / "hooked")
        for how in (["--adopt"], []):
            run = self.run_cli("run", *how, "--", hooked.python, "-c", "pass",
                               env={"FIXTURESTMP_ADOPT": "1"})  # fmt: skip
            self.assertEqual(0, run.returncode, run.stderr)
            self.assertNotIn(self.LINE, run.stderr)
