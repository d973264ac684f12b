"""Hostile disks: symlinks swapped in mid-removal, undeletable files, full
filesystems. All real: a racing process, ``chattr +i``, a small tmpfs.
"""

import ctypes
import errno
import mmap
import os
import signal
import subprocess

import fixtures
from testtools.matchers import Contains

import fixturestmp
from fixturestmp._store.removal import RemovalError, remove_tree
from fixturestmp.tests.support import (
    IsolatedTestCase,
    fill,
    make_immutable,
    mount_tmpfs,
)
from fixturestmp.tests.support.reliability import (
    LeakProbe,
    Survivors,
    make_user_tree,
    messages,
    record_figures,
    snapshot,
)

RACE_ROUNDS = 100


def _race(top: str, target: str, counter, parent: int) -> None:  # pragma: no cover
    """Swap directories below ``top`` for symlinks to ``target``, forever."""
    while os.getppid() == parent:
        try:
            names = os.listdir(top)
        except OSError:
            names = []
        for name in names:
            path = os.path.join(top, name)
            for victim in (path, os.path.join(path, "sub")):
                try:
                    os.rename(victim, victim + ".moved")
                    os.symlink(target, victim)
                    counter.value += 1
                except OSError:
                    pass


class TestSymlinkSwappedInDuringRemoval(IsolatedTestCase):
    def test_removal_never_follows_a_swapped_in_symlink(self):
        user = self.root / "user-data"
        before = make_user_tree(user)
        survivors = Survivors()
        survivors.add_tree(user)
        intact = 0
        shared = mmap.mmap(-1, 8)
        counter = ctypes.c_long.from_buffer(shared)
        rounds_with_swaps = 0
        met = self.count_symlinks_met()
        round_ = 0
        # Until the racer has swapped during a removal in half as many rounds
        # as planned: under load it gets the processor less often.
        while rounds_with_swaps <= RACE_ROUNDS // 2 and round_ < 10 * RACE_ROUNDS:
            round_ += 1
            top = self.root / f"tree{round_}"
            for d in range(12):
                (top / f"d{d}" / "sub").mkdir(parents=True)
                for f in range(3):
                    (top / f"d{d}" / f"f{f}").write_text("x")
                    (top / f"d{d}" / "sub" / f"f{f}").write_text("x")
            first = counter.value
            parent = os.getpid()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the racer
                try:
                    _race(str(top), str(user), counter, parent)
                finally:
                    os._exit(0)
            try:
                while counter.value == first:  # The race is on.
                    os.sched_yield()
                swaps = counter.value
                remove_tree(top)
            except RemovalError:
                pass  # The racer made new entries: allowed, as long as...
            finally:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            # ...nothing outside the tree was touched.
            self.assertEqual(before, snapshot(user, contents=True), f"round {round_}")
            intact += survivors.count()["lost"] == 0
            rounds_with_swaps += counter.value > swaps
            for entry in self.root.iterdir():
                if entry.name != "user-data":
                    remove_tree(entry)
        del counter
        swaps = ctypes.c_long.from_buffer_copy(shared).value
        shared.close()
        self.assertGreater(rounds_with_swaps, RACE_ROUNDS // 2)
        self.assertGreater(met[0], RACE_ROUNDS)
        self.assertEqual([], survivors.missing())
        record_figures(
            self,
            "symlink-race",
            {
                "rounds": round_,
                "swaps": swaps,
                "symlinks_met": met[0],
                "rounds_user_tree_intact": intact,
                **survivors.count(),
            },
        )

    def count_symlinks_met(self) -> list[int]:
        """Count the opens that met a symlink where a directory was."""
        met = [0]
        real = os.open

        def counting(*args, **kwargs):
            try:
                return real(*args, **kwargs)
            except OSError as error:
                if error.errno in (errno.ELOOP, errno.ENOTDIR):
                    met[0] += 1
                raise

        self.useFixture(fixtures.MonkeyPatch("os.open", counting))
        return met


class TestUndeletableFile(IsolatedTestCase):
    def test_reported_by_name_never_silently_left(self):
        stuck = []
        session = self.session(retention_policy="failed", retention_count=0)
        session.setUp()
        for name, files in (("small", 1), ("big", 40)):
            with fixturestmp.TempDirFixture(name, session=session) as tmp:
                for number in range(files):
                    (tmp.path / f"f{number}").write_text("x")
                make_immutable(self, tmp.path / "f0", thaw=self.root)
                stuck.append(tmp.path.name)
        error = self.assertRaises(OSError, session.cleanUp)
        said = messages(error)
        named = [n for n in stuck if f"{n}/f0: Operation not permitted" in said]
        self.assertEqual(stuck, named)
        self.assertThat(said, Contains("chattr"))
        left = [p for p in self.base.rglob("f0") if p.is_file()]
        self.assertEqual(["f0", "f0"], sorted(p.name for p in left))
        for path in left:
            subprocess.check_call(["chattr", "-i", str(path)])
        with self.session(retention_count=0):
            pass
        self.assertEqual([".last-number", ".lock"], sorted(os.listdir(self.base)))
        record_figures(
            self,
            "immutable-file",
            {"files": len(stuck), "named": len(named), "left_until_fixed": len(left)},
        )


class TestFullFilesystem(IsolatedTestCase):
    """A real tmpfs, too small: out of inodes, out of space."""

    def mount(self, **options) -> None:
        self.mnt = mount_tmpfs(self, self.root / "mnt", **options)
        self.base = self.mnt / self.base.name
        # The user's files on the same filesystem: never the price of room.
        self.survivors = Survivors()
        make_user_tree(self.mnt / "user-data")
        self.survivors.add_tree(self.mnt / "user-data")

    def assertExplained(self, error: BaseException, what: str) -> None:
        said = messages(error)
        for part in (
            f"the tmpfs filesystem mounted at {self.mnt} {what}",
            "No space left on device",
            "FIXTURESTMP_ROOT",
        ):
            self.assertThat(said, Contains(part))

    def test_out_of_inodes(self):
        self.mount(size="1m", nr_inodes=48)
        probe = LeakProbe()
        made = 0
        with self.session(root=self.mnt, retention_policy="none") as session:
            while True:
                try:
                    session.sessiondir.dirs.mktemp("t")
                except OSError as error:
                    self.assertEqual(errno.ENOSPC, error.errno)
                    self.assertExplained(error, "has no free inodes")
                    break
                made += 1
            # Through a TempDirFixture, its setUp fails with that error.
            fixture = fixturestmp.TempDirFixture("t", session=session)
            failure = self.assertRaises(
                (fixtures.MultipleExceptions, AttributeError), fixture.setUp
            )
        self.assertGreater(made, 10)
        self.assertEqual([], probe.problems(self.base, [session]))
        self.assertEqual([], [p for p in os.listdir(self.base) if p.startswith("run")])
        self.assertIsInstance(failure, fixtures.MultipleExceptions)
        self.assertExplained(failure, "has no free inodes")
        self.assertEqual([], self.survivors.missing())
        record_figures(self, "out-of-inodes", {"dirs": made, **self.survivors.count()})

    def test_out_of_space(self):
        self.mount(size="256k", nr_inodes=1000)
        filler = self.mnt / "filler"
        fill(filler)
        # A session cannot even start: said, and nothing is left behind.
        error = self.assertRaises(
            fixtures.MultipleExceptions, self.session(root=self.mnt).setUp
        )
        self.assertExplained(error, "is full")
        self.assertEqual([".lock"], os.listdir(self.base))
        # With room to start, a failed test's record cannot be written.
        os.truncate(filler, 0)
        session = self.session(root=self.mnt, retention_policy="failed")
        session.setUp()
        self.addCleanup(session.cleanUp)
        tmp = fixturestmp.TempDirFixture("full", session=session)
        tmp.setUp()
        fill(filler)
        tmp.mark_failed()
        self.survivors.add(tmp.path)  # failed: kept
        error = self.assertRaises(OSError, tmp.cleanUp)
        self.assertExplained(error, "is full")
        self.assertThat(str(error), Contains(f"session manifest {session.path}"))
        self.assertTrue(tmp.path.is_dir())  # kept: it is what failed
        self.assertEqual([], self.survivors.missing())
        os.unlink(filler)
        record_figures(self, "out-of-space", {"errors": 2, **self.survivors.count()})
