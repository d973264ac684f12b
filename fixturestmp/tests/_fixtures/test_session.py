"""Tests for fixturestmp._fixtures.session."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from testtools.matchers import Contains, DirExists, Not

import fixturestmp
from fixturestmp._store import owners
from fixturestmp._store.inventory import read_session
from fixturestmp._store.manifest import read_manifest
from fixturestmp._store.sessiondir import MARKER_NAME
from fixturestmp.tests.support import IsolatedTestCase, run_python

HOLD_SESSION = """
import sys, time
import fixturestmp
session = fixturestmp.SessionTempFixture(root=sys.argv[1], retention_count=0)
session.setUp()
print(session.path, flush=True)
time.sleep(600)
"""

FORKING_PROCESS = """
import json, os, sys
import fixturestmp
from fixturestmp._store import owners
from fixturestmp._store.inventory import read_session

parent = fixturestmp.default_session()
with fixturestmp.TempDirFixture("passed_before"):
    pass  # Counted, not yet written: in the batch.
read_end, write_end = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(read_end)
    child = fixturestmp.default_session()
    with fixturestmp.TempDirFixture("passed_in_child"):
        pass
    reply = [
        os.getpid(), str(child.path), child is parent, owners.live_owners(child.path)
    ]
    os.write(write_end, json.dumps(reply).encode())
    sys.exit(0)  # At exit, as a child of a test run may: the session stays.
os.close(write_end)
with os.fdopen(read_end) as stream:
    reply = json.loads(stream.read())
os.waitpid(pid, 0)
with fixturestmp.TempDirFixture("failed_after") as failed:
    failed.mark_failed()
print(json.dumps({
    "parent": str(parent.path),
    "parent_pid": os.getpid(),
    "parent_token": owners.owner_token(),
    "child": reply,
    "after_child": [parent.path.is_dir(), owners.live_owners(parent.path)],
}))
"""


class TestNumberedSessions(IsolatedTestCase):
    def test_sessions_are_numbered_and_current_points_at_newest(self):
        first = self.useFixture(self.session(retention_policy="all"))
        second = self.useFixture(self.session(retention_policy="all"))
        self.assertEqual(["run-0", "run-1"], [first.path.name, second.path.name])
        self.assertEqual("run-1", os.readlink(self.base / "run-current"))
        self.assertEqual(0o700, self.base.stat().st_mode & 0o777)

    def test_four_sessions_with_count_two_leave_two(self):
        for _ in range(4):
            with self.session(retention_policy="all", retention_count=2) as s:
                with fixturestmp.TempDirFixture(session=s):
                    pass
        self.assertEqual(["run-2", "run-3"], self.sessions())

    def test_count_zero_keeps_none(self):
        for _ in range(2):
            with self.session(retention_policy="all", retention_count=0):
                pass
        self.assertEqual([], self.sessions())
        # The dangling run-current link went with them.
        self.assertFalse(os.path.lexists(self.base / "run-current"))

    def test_concurrent_processes_get_distinct_sessions(self):
        code = (
            "import sys, fixturestmp\n"
            "s = fixturestmp.SessionTempFixture(retention_policy='all',\n"
            "                                   retention_count=100)\n"
            "s.setUp()\n"
            "print(s.path.name)\n"
            "s.cleanUp()\n"
        )
        env = dict(os.environ, FIXTURESTMP_ROOT=str(self.root),
                   PYTHONPATH=os.pathsep.join(sys.path))  # fmt: skip
        starters = [
            subprocess.Popen([sys.executable, "-c", code], env=env,
                             stdout=subprocess.PIPE, text=True)
            for _ in range(8)
        ]  # fmt: skip
        names = [p.communicate(timeout=120)[0].strip() for p in starters]
        self.assertEqual([0] * 8, [p.returncode for p in starters])
        self.assertEqual(sorted(f"run-{n}" for n in range(8)), sorted(names))
        self.assertEqual(sorted(names), self.sessions())

    def test_failed_policy_removes_a_session_without_failures(self):
        with self.session(retention_policy="failed") as passed:
            with fixturestmp.TempDirFixture(session=passed):
                pass
        self.assertThat(str(passed.path), Not(DirExists()))
        with self.session(retention_policy="failed") as failed:
            with fixturestmp.TempDirFixture(session=failed) as tmp:
                tmp.mark_failed()
        self.assertTrue(failed.failed)
        self.assertThat(str(tmp.path), DirExists())

    def test_numbers_never_repeat_after_everything_was_pruned(self):
        with self.session(retention_count=0) as first:
            pass
        with self.session(retention_count=0) as second:
            pass
        self.assertEqual(["run-0", "run-1"], [first.path.name, second.path.name])

    def test_a_file_named_like_the_next_session_does_not_block(self):
        self.base.mkdir(mode=0o700)
        (self.base / "run-0").write_text("not a session")
        (self.base / "run-1").symlink_to("nowhere")
        with self.session(retention_policy="all") as session:
            pass
        self.assertEqual("run-2", session.path.name)
        self.assertEqual("not a session", (self.base / "run-0").read_text())

    def test_manifest_records_each_directory(self):
        with self.session(retention_policy="failed") as session:
            with fixturestmp.TempDirFixture("kept", session=session) as tmp:
                tmp.mark_failed()
            with fixturestmp.TempDirFixture("dropped", session=session):
                pass
            # The failed directory's record is written at once; the passed
            # one is counted, and the count written at the latest when the
            # session ends.
            self.assertEqual(
                [str(tmp.path.parent / "kept0")],
                [r["path"] for r in read_manifest(session.path)],
            )
        records = list(read_manifest(session.path))
        self.assertEqual(
            [("test", self.id(), "failed", True), ("removed", 1)],
            [
                (r["kind"], r["id"], r["outcome"], r["retained"])
                if r["kind"] == "test"
                else (r["kind"], r["count"])
                for r in records
            ],
        )

    def test_session_directories_are_not_taken_for_unrecorded_tests(self):
        # mktemp's directories belong to the session, not to one test: a
        # run's end must not keep the session for them, nor list them
        # UNRECORDED. A test's directory without a record still is.
        with self.session(retention_policy="failed") as session:
            shared = session.mktemp("data")
            (shared / "cache").write_text("x")
            session.make_dir("more")
            lost = session.sessiondir.dirs.mktemp("test_lost")
            session.sessiondir.manifest.flush()
            info = read_session(session.path, 0)
            self.assertEqual([str(lost)], info.unrecorded)
            self.assertEqual([], info.tests)

    def test_mktemp_unnumbered(self):
        session = self.useFixture(self.session(retention_policy="all"))
        self.assertEqual("exact", session.mktemp("exact", numbered=False).name)
        self.assertRaises(FileExistsError, session.mktemp, "exact", numbered=False)


class TestLiveSessionsAreNeverPruned(IsolatedTestCase):
    def test_live_owner_protects_until_killed(self):
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD_SESSION, str(self.root)],
            stdout=subprocess.PIPE,
            text=True,
            env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)),
        )
        self.addCleanup(holder.wait)
        self.addCleanup(holder.kill)
        held = holder.stdout.readline().strip()
        self.assertEqual(str(self.base / "run-0"), held)
        for _ in range(5):
            with self.session(retention_count=0):
                pass
            self.assertThat(held, DirExists())
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        with self.session(retention_count=0):
            pass
        self.assertThat(held, Not(DirExists()))
        self.assertEqual([], self.sessions())

    def test_zombie_owner_counts_as_dead(self):
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        token = owners.owner_token(child.pid)
        self.assertTrue(owners.token_is_live(token))
        child.kill()
        # Not reaped yet: a zombie holds nothing.
        self.addCleanup(child.wait)
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
        self.assertFalse(owners.token_is_live(token))
        self.assertFalse(owners.token_is_live(f"{child.pid}-1.00"))


class TestBasetemp(IsolatedTestCase):
    def test_missing_basetemp_is_created_and_never_pruned(self):
        target = self.workdir / "mine"
        with self.session(basetemp=target, retention_policy="all") as session:
            with fixturestmp.TempDirFixture(session=session):
                pass
        self.assertEqual(target, session.path)
        self.assertThat(str(target), DirExists())
        with self.session(retention_count=0):
            pass
        self.assertThat(str(target), DirExists())

    def test_basetemp_with_user_files_is_refused_and_untouched(self):
        target = self.workdir / "precious"
        target.mkdir()
        (target / "thesis.tex").write_text("years of work")
        error = self.assertRaises(
            fixturestmp.ConfigError, self.session, basetemp=target
        )
        self.assertThat(str(error), Contains("basetemp"))
        self.assertThat(str(error), Contains(str(target)))
        self.assertThat(str(error), Contains("argument basetemp="))
        self.assertEqual(["thesis.tex"], os.listdir(target))

    def test_basetemp_removes_only_what_it_made(self):
        target = self.workdir / "bt"
        with self.session(basetemp=target, retention_policy="none") as session:
            made = session.mktemp("made")
            (target / "added-by-user").write_text("keep me")
        self.assertThat(str(made), Not(DirExists()))
        # The marker stays with the user's file, so the directory is still
        # known as fixturestmp's and can be used again.
        self.assertEqual([MARKER_NAME, "added-by-user"], sorted(os.listdir(target)))
        with self.session(basetemp=target, retention_policy="none") as again:
            again.mktemp("made")
        self.assertEqual([MARKER_NAME, "added-by-user"], sorted(os.listdir(target)))

    def test_emptied_basetemp_loses_its_marker(self):
        target = self.workdir / "bt"
        with self.session(basetemp=target, retention_policy="none") as session:
            session.mktemp("made")
        self.assertEqual([], os.listdir(target))


class TestJoin(IsolatedTestCase):
    def test_joined_session_records_but_does_not_end(self):
        owner = self.useFixture(self.session(retention_policy="none"))
        with fixturestmp.SessionTempFixture.join(owner.path) as joined:
            with fixturestmp.TempDirFixture("w", session=joined) as tmp:
                tmp.mark_failed()
        self.assertThat(str(owner.path), DirExists())
        self.assertEqual(
            [str(tmp.path)], [r["path"] for r in read_manifest(owner.path)]
        )

    def test_join_refuses_a_directory_that_is_not_a_session(self):
        error = self.assertRaises(
            fixturestmp.ConfigError,
            fixturestmp.SessionTempFixture.join,
            self.workdir,
        )
        self.assertThat(str(error), Contains("FIXTURESTMP_SESSION"))


class TestDefaultSession(IsolatedTestCase):
    def test_listing_process_creates_nothing(self):
        run = run_python(
            ["-c", "import fixturestmp, fixturestmp._fixtures.tempdir"],
            self.workdir,
            {"FIXTURESTMP_ROOT": str(self.root)},
        )
        self.assertEqual(0, run.returncode, run.stderr)
        self.assertFalse(self.base.exists())

    def test_default_session_ends_at_exit(self):
        code = (
            "import fixturestmp\n"
            "with fixturestmp.TempDirFixture() as kept:\n"
            "    kept.mark_failed()\n"
            "with fixturestmp.TempDirFixture() as dropped:\n"
            "    pass\n"
            "print(kept.path, dropped.path)\n"
        )
        run = run_python(
            ["-c", code], self.workdir, {"FIXTURESTMP_ROOT": str(self.root)}
        )
        self.assertEqual(0, run.returncode, run.stderr)
        kept, dropped = run.stdout.split()
        self.assertThat(kept, DirExists())
        self.assertThat(dropped, Not(DirExists()))
        self.assertEqual([], os.listdir(self.base / "run-0" / owners.OWNERS_DIR))

    def test_a_forked_child_joins_and_leaves_the_parents_session(self):
        run = run_python(
            ["-c", FORKING_PROCESS], self.workdir, {"FIXTURESTMP_ROOT": str(self.root)}
        )
        self.assertEqual(0, run.returncode, run.stderr)
        said = json.loads(run.stdout)
        child_pid, child_path, same_object, owners_in_child = said["child"]
        self.assertEqual((said["parent"], False), (child_path, same_object))
        self.assertEqual(2, len(owners_in_child))
        self.assertIn(said["parent_token"], owners_in_child)
        # The child's exit neither ended the session nor withdrew the parent.
        self.assertEqual([True, [said["parent_token"]]], said["after_child"])
        # Each process counted its own passed test, once.
        records = list(read_manifest(Path(said["parent"])))
        removed = {r["pid"]: r["count"] for r in records if r["kind"] == "removed"}
        self.assertEqual({said["parent_pid"]: 1, child_pid: 1}, removed)
        [failed] = [r for r in records if r["kind"] == "test"]
        self.assertEqual(said["parent_pid"], failed["pid"])
        # The parent ended the session at its exit: kept for its failure.
        self.assertEqual([], os.listdir(Path(said["parent"]) / owners.OWNERS_DIR))

    def test_environment_session_is_joined(self):
        owner = self.useFixture(self.session(retention_policy="all"))
        code = "import fixturestmp\nprint(fixturestmp.default_session().path)\n"
        run = run_python(
            ["-c", code], self.workdir, {"FIXTURESTMP_SESSION": str(owner.path)}
        )
        self.assertEqual(str(owner.path), run.stdout.strip(), run.stderr)
        self.assertTrue((owner.path / MARKER_NAME).is_file())


class TestEndingSessionIsKept(IsolatedTestCase):
    """The session that ends counts among the kept, whatever the order."""

    def use_failing(self, session) -> str:
        with fixturestmp.TempDirFixture("t", session=session) as tmp:
            tmp.mark_failed()
        return str(tmp.path)

    def test_older_session_ending_last_keeps_itself(self):
        older = self.session(retention_count=1)
        older.setUp()
        newer = self.session(retention_count=1)
        newer.setUp()
        kept_older = self.use_failing(older)
        kept_newer = self.use_failing(newer)
        newer.cleanUp()
        self.assertThat(kept_newer, DirExists())
        older.cleanUp()
        # The newer one had ended already: it is the one pruned.
        self.assertThat(kept_older, DirExists())
        self.assertEqual(["run-0"], self.sessions())

    def test_live_sessions_are_never_pruned_and_not_counted(self):
        live = self.useFixture(self.session(retention_count=1))
        kept_live = self.use_failing(live)
        with self.session(retention_count=1) as ending:
            kept_ending = self.use_failing(ending)
        self.assertThat(kept_live, DirExists())
        self.assertThat(kept_ending, DirExists())
        self.assertEqual(["run-0", "run-1"], self.sessions())
