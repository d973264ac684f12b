"""Load and crashes: real ``fixturestmp run -- stestr run`` processes.

Slow tests (marked ``[slow]`` in their ids): 3 x 1000 tests under load,
and runs killed with SIGKILL mid-way. They run in the normal suite.
"""

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
from testtools.testcase import WithAttributes, attr

from fixturestmp._store import owners
from fixturestmp._store.manifest import read_manifest
from fixturestmp.tests.support import (
    IsolatedTestCase,
    cli_command,
    python_env,
    run_cli,
    write_files,
)
from fixturestmp.tests.support.reliability import Survivors, record_figures

TESTS = 1000
FAIL_EVERY = 50  # test i fails when i % FAIL_EVERY == 7: 20 per run

SUITE = """
    import fcntl
    import os

    import testtools
    from fixturestmp import TempDirFixture

    GATE = os.environ.get("LOAD_GATE")
    KEPT = os.environ["LOAD_KEPT"]


    class TestLoad(testtools.TestCase):
        pass


    def _make(number):
        def test(self):
            tmp = self.useFixture(TempDirFixture())
            (tmp.path / "evidence").write_text(self.id())
            if number % 10 == 3:  # big: goes through the trash
                (tmp.path / "sub").mkdir()
                for part in range(20):
                    (tmp.path / "sub" / str(part)).write_text("x")
            if GATE:  # Held here while the parent holds the gate's lock.
                with open(GATE) as gate:
                    fcntl.flock(gate, fcntl.LOCK_SH)
            if number % {fail_every} == 7:
                # Counted as made: one line, one write, appended.
                fd = os.open(KEPT, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
                os.write(fd, ("%s %s\\n" % (tmp.path, self.id())).encode())
                os.close(fd)
                self.fail("planned failure")

        return test


    for _number in range({tests}):
        setattr(TestLoad, "test_%04d" % _number, _make(_number))
"""


def expected_ids(tests: int) -> dict[str, str]:
    """Return ``{test id: outcome}`` of the generated suite."""
    return {
        f"suite.test_load.TestLoad.test_{n:04d}": (
            "failed" if n % FAIL_EVERY == 7 else "passed"
        )
        for n in range(tests)
    }


class LoadTestCase(WithAttributes, IsolatedTestCase):
    def make_suite(self, name: str, tests: int = TESTS):
        workdir = self.workdir / name
        write_files(
            workdir,
            {
                ".stestr.conf": "[DEFAULT]\ntest_path=./suite\ntop_dir=./\n",
                "suite/__init__.py": "",
                "suite/test_load.py": SUITE.format(tests=tests, fail_every=FAIL_EVERY),
            },
        )
        return workdir

    def env(self, **extra) -> dict[str, str]:
        env = {"FIXTURESTMP_ROOT": str(self.root), "PYTHONDONTWRITEBYTECODE": "1"}
        return python_env({**env, **extra})

    def expect_kept(self, workdir, survivors: Survivors) -> int:
        """Count the directories the suite in ``workdir`` failed in (each
        test wrote its own as it failed), with their evidence; return how many.
        """
        try:
            with open(workdir / "kept.txt") as stream:
                lines = stream.read().splitlines()
        except FileNotFoundError:
            return 0
        for line in lines:
            path, test_id = line.split(" ", 1)
            survivors.expect(Path(path))
            survivors.expect(Path(path) / "evidence", test_id.encode())
        return len(lines)

    def start(self, workdir, *run_args, concurrency=4, **env):
        command = [sys.executable, *cli_command(
            "run", *run_args, "--",
            sys.executable, "-m", "stestr", "run", "--concurrency", str(concurrency),
        )]  # fmt: skip
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=self.env(LOAD_KEPT=str(workdir / "kept.txt"), **env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.addCleanup(lambda: process.poll() is None and process.kill())
        return process

    def fixturestmp(self, *args, workdir=None):
        return run_cli(
            *args, cwd=workdir or self.workdir, root=self.root,
            env={"PYTHONDONTWRITEBYTECODE": "1"},
        )  # fmt: skip

    def leftovers(self) -> list[str]:
        """Trash, garbage, live owners: what no ended run may leave."""
        found = [p.name for p in self.base.iterdir() if p.name.startswith(".garbage")]
        for session in self.base.glob("run-[0-9]*"):
            if (session / ".trash").exists():
                found.append(f"{session.name}/.trash")
            found += [f"{session.name}: {t}" for t in owners.live_owners(session)]
        return found


class TestLoad(LoadTestCase):
    @attr("slow")
    def test_three_runs_of_a_thousand_tests_share_one_root(self):
        started = time.monotonic()
        runs = [
            self.start(self.make_suite(f"w{n}"), "--retention-count", "3")
            for n in range(3)
        ]
        for run in runs:
            _, stderr = run.communicate(timeout=900)
            self.assertEqual(1, run.returncode, stderr[-3000:])
            self.assertIn(f"{TESTS} temporary directories", stderr)
        elapsed = time.monotonic() - started
        survivors = Survivors()
        failing = sum(
            self.expect_kept(self.workdir / f"w{n}", survivors) for n in range(3)
        )
        self.assertEqual(3 * (TESTS // FAIL_EVERY), failing)
        sessions = sorted(self.base.glob("run-[0-9]*"))
        self.assertEqual(["run-0", "run-1", "run-2"], [p.name for p in sessions])
        expected = expected_ids(TESTS)
        all_paths = set()
        for session in sessions:
            manifest = list(read_manifest(session))
            records = [r for r in manifest if r["kind"] == "test"]
            failed = {k: v for k, v in expected.items() if v == "failed"}
            self.assertEqual(failed, {r["id"]: r["outcome"] for r in records})
            self.assertEqual(len(failed), len(records))  # one each, no duplicate
            # Every passed test's removed directory is counted, once.
            removed = sum(r["count"] for r in manifest if r["kind"] == "removed")
            self.assertEqual(TESTS - len(failed), removed)
            for record in records:
                path = record["path"]
                self.assertNotIn(path, all_paths)  # no collision, anywhere
                all_paths.add(path)
                kept = record["outcome"] == "failed"
                self.assertEqual(kept, record["retained"], record)
                self.assertEqual(kept, os.path.isdir(path), record)
                if kept:  # the directory is the test's own
                    with open(os.path.join(path, "evidence")) as stream:
                        self.assertEqual(record["id"], stream.read())
            left = [n for n in os.listdir(session) if not n.startswith(".")]
            self.assertEqual(TESTS // FAIL_EVERY, len(left))
        self.assertEqual([], self.leftovers())
        self.assertEqual([], survivors.missing())
        kept = survivors.count()
        # Retention is exact: a passing run with count 2 leaves the newest two.
        final = self.fixturestmp("run", "--retention-count", "2", "--", "true")
        self.assertEqual(0, final.returncode, final.stderr)
        self.assertEqual(
            ["run-1", "run-2"], sorted(p.name for p in self.base.glob("run-[0-9]*"))
        )
        self.assertEqual([], self.leftovers())
        survivors.forget(self.base / "run-0")  # pruned, as asked
        self.assertEqual([], survivors.missing())
        record_figures(
            self,
            "load",
            {
                "tests": 3 * TESTS,
                "runs": 4,
                "seconds": round(elapsed, 1),
                "failed_tests": failing,
                **kept,
                "after_retention": survivors.count(),
            },
        )


HUGE_SESSION = """
import sys
import fixturestmp

session = fixturestmp.SessionTempFixture(retention_policy="none")
session.setUp()
huge = session.mktemp("huge")
for number in range(40000):
    (huge / str(number)).touch()
print("ending", flush=True)
session.cleanUp()
"""


def _hold_lock(root: str, write_fd: int) -> None:  # pragma: no cover - child
    from pathlib import Path

    from fixturestmp._store.basedir import BaseDir

    with BaseDir(Path(root)).locked():
        os.write(write_fd, b"locked")
        time.sleep(600)


class TestCrash(LoadTestCase):
    @attr("slow")
    def test_killed_wrapper_and_worker_hold_nothing_once_gone(self):
        crashed = self.base / "run-0"
        # Each worker's first test makes its directory, then waits at the
        # gate until the worker is killed: the job runs for as long as this
        # test needs, however slow the machine.
        gate = open(self.workdir / "gate", "w")
        self.addCleanup(gate.close)
        fcntl.flock(gate, fcntl.LOCK_EX)
        run = self.start(
            self.make_suite("crash", tests=300),
            "--retention-count", "1", concurrency=2, LOAD_GATE=gate.name,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while len(list(crashed.glob("test_*"))) < 2:  # both workers at the gate
            self.assertIsNone(run.poll(), "the run ended before it was killed")
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        job = psutil.Process(run.pid).children(recursive=True)
        self.addCleanup(lambda: [p.kill() for p in job if p.is_running()])
        # The Python processes, not the shells stestr starts them through.
        workers = [p for p in job if "stestr.subunit_runner.run" in p.cmdline()]
        self.assertEqual(2, len(workers), [p.cmdline() for p in job])
        workers[0].kill()
        run.kill()
        run.wait()
        # The rest of the job runs on, orphaned, and still uses its session:
        # another run neither waits for it nor takes its directory.
        started = time.monotonic()
        other = self.start(self.make_suite("other", tests=20), "--retention-count", "1")
        _, stderr = other.communicate(timeout=120)
        self.assertEqual(1, other.returncode, stderr)  # test_0007 fails: kept
        self.assertLess(time.monotonic() - started, 60)
        self.assertTrue(crashed.is_dir())
        self.assertTrue(any(p.is_running() for p in job))
        # The job's end: all of it is killed. Nothing it held remains live.
        for process in job:
            if process.is_running():
                process.kill()
        psutil.wait_procs(job, timeout=30)
        self.assertEqual([], owners.live_owners(crashed))
        # Left by the killed: directories of tests that were running.
        orphans = [p for p in crashed.glob("test_*") if int(p.name[5:9]) % 50 != 7]
        # The other run's failure is kept; the crashed session's go with it.
        survivors = Survivors()
        self.assertEqual(1, self.expect_kept(self.workdir / "other", survivors))
        self.assertTrue(orphans)
        with open(self.base / ".lock") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # The next run recovers at once: the crashed session is pruned,
        # with its trash; the kept failure of the other run stays.
        started = time.monotonic()
        final = self.fixturestmp("run", "--retention-count", "1", "--", "true")
        self.assertEqual(0, final.returncode, final.stderr)
        recovery = time.monotonic() - started
        self.assertLess(recovery, 20)
        self.assertEqual(["run-1"], [p.name for p in self.base.glob("run-[0-9]*")])
        self.assertEqual([], self.leftovers())
        kept = [p.name for p in (self.base / "run-1").iterdir()]
        self.assertEqual(["test_00070"], [n for n in kept if not n.startswith(".")])
        self.assertEqual([], survivors.missing())
        record_figures(
            self, "crash-run", {"killed": len(job) + 1, "orphans": len(orphans),
                                "recovery_seconds": round(recovery, 2),
                                **survivors.count()},
        )  # fmt: skip

    @attr("slow")
    def test_killed_while_deleting_its_session(self):
        process = subprocess.Popen(
            [sys.executable, "-c", HUGE_SESSION],
            env=self.env(),
            cwd=self.workdir,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.addCleanup(lambda: process.poll() is None and process.kill())
        self.assertEqual("ending\n", process.stdout.readline())
        deadline = time.monotonic() + 60
        while not list(self.base.glob(".garbage-*")):
            self.assertIsNone(process.poll(), "deleted before it could be killed")
            self.assertLess(time.monotonic(), deadline)
        # Killed once the deletion has begun: some of the files are gone.
        huge = next(self.base.glob(".garbage-*")) / "huge0"
        while len(os.listdir(huge)) == 40000:
            self.assertIsNone(process.poll(), "deleted before it could be killed")
            self.assertLess(time.monotonic(), deadline)
        process.kill()
        process.wait()
        garbage = list(self.base.glob(".garbage-*"))
        self.assertEqual(1, len(garbage))
        left = len(list(garbage[0].glob("huge0/*")))
        self.assertTrue(0 < left < 40000)  # half deleted
        with self.session(retention_count=3):
            pass
        remaining = list(self.base.glob(".garbage-*"))
        self.assertEqual([], remaining)
        record_figures(
            self,
            "crash-deleting",
            {"killed": 1, "files_left_by_kill": left, "garbage_after": len(remaining)},
        )

    def test_killed_lock_holder_blocks_nothing(self):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                _hold_lock(str(self.root), write_end)
            finally:
                os._exit(1)
        os.close(write_end)
        self.assertEqual(b"locked", os.read(read_end, 6))
        os.close(read_end)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        started = time.monotonic()
        with self.session():
            pass
        waited = time.monotonic() - started
        self.assertLess(waited, 5)
        record_figures(self, "crash-lock", {"killed": 1, "seconds": round(waited, 3)})
