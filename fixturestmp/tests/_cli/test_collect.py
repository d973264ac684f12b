"""Tests for fixturestmp._cli.collect: ``fixturestmp collect`` of real stestr runs."""

import json
import os
import subprocess
import sys
import tarfile
import tempfile
import traceback
from pathlib import Path

import testtools
from testtools.matchers import Contains, DirExists, Not, StartsWith

from fixturestmp._store.manifest import MANIFEST_NAME
from fixturestmp.tests.support import IsolatedTestCase, run_cli
from fixturestmp.tests.support.stestr_runs import StestrRun

NOBODY = 65534
BIG = 300_000

SUITE = f"""
    import os

    import fixturestmp


    class TestKept(fixturestmp.TestCase):
        def test_fail_big(self):
            tmp = self.tmp_path
            (tmp / "log.txt").write_text("first line\\nsecond line\\n")
            (tmp / "sub").mkdir()
            (tmp / "sub" / "notes.txt").write_text("notes\\n")
            (tmp / "core").write_bytes(b"c" * {BIG})
            (tmp / "secret.txt").write_text("only root may read me\\n")
            os.symlink("/etc", tmp / "etc")
            os.symlink("/etc/passwd", tmp / "passwd")
            os.symlink("../../..", tmp / "up")
            os.symlink("log.txt", tmp / "latest")
            os.mkfifo(tmp / "pipe")
            self.fail("big failure")

        def test_fail_small(self):
            (self.tmp_path / "evidence.txt").write_text("small failure\\n")
            raise RuntimeError("small failure")

        def test_pass(self):
            (self.tmp_path / "fine.txt").write_text("fine\\n")

        def test_leak_environ(self):
            os.environ["FIXTURESTMP_TEST_LEAKED"] = "1"
"""


class TestCollectRun(testtools.TestCase):
    """``collect`` of one real run: two failed tests, a pass and a leak."""

    stestr: StestrRun

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stestr = StestrRun(
            {"suite/test_kept.py": SUITE}, env={"FIXTURESTMP_LEAK_CHECKS": "environ"}
        )

    @classmethod
    def tearDownClass(cls):
        cls.stestr.remove()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.assertEqual(1, self.stestr.result.returncode, self.stestr.result.stderr)
        self.dest = Path(tempfile.mkdtemp(dir=self.stestr.top, prefix="dest-"))

    def collect(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return self.stestr.cli("collect", *args, **kwargs)

    def index(self, top: Path) -> dict:
        return json.loads((top / "index.json").read_text())

    def test_tree(self):
        done = self.collect(str(self.dest))
        self.assertEqual(0, done.returncode, done.stderr)
        top = self.dest / "run-0"
        self.assertEqual(str(top), done.stdout.strip())
        big = top / "tests" / "test_fail_big0"
        self.assertEqual("first line\nsecond line\n", (big / "log.txt").read_text())
        self.assertEqual("notes\n", (big / "sub" / "notes.txt").read_text())
        self.assertEqual(BIG, (big / "core").stat().st_size)
        # A link inside the tree is kept as a link; links out are not copied.
        self.assertEqual("log.txt", os.readlink(big / "latest"))
        for name in ("etc", "passwd", "up", "pipe"):
            self.assertFalse(os.path.lexists(big / name), name)
        small = top / "tests" / "test_fail_small0" / "evidence.txt"
        self.assertEqual("small failure\n", small.read_text())
        self.assertThat(str(top / "tests" / "test_pass0"), Not(DirExists()))
        manifest = self.stestr.session / ".manifest.jsonl"
        self.assertEqual(manifest.read_bytes(), (top / "manifest.jsonl").read_bytes())
        self.assertThat(
            (top / "leaks.txt").read_text(),
            Contains("suite.test_kept.TestKept.test_leak_environ"),
        )
        index = self.index(top)
        links = {Path(link["path"]).name: link for link in index["links"]}
        self.assertEqual(
            {"etc": ("/etc", False), "passwd": ("/etc/passwd", False),
             "up": ("../../..", False), "latest": ("log.txt", True)},
            {name: (link["target"], link["copied"]) for name, link in links.items()},
        )  # fmt: skip
        skipped = {Path(s["path"]).name: s["reason"] for s in index["skipped"]}
        self.assertEqual({"pipe"}, set(skipped))
        self.assertThat(skipped["pipe"], Contains("not a regular file"))
        self.assertEqual(
            ["suite.test_kept.TestKept.test_fail_big",
             "suite.test_kept.TestKept.test_fail_small"],
            [test["id"] for test in index["tests"]],
        )  # fmt: skip
        self.assertThat((top / "INDEX.txt").read_text(), Contains("/etc/passwd"))
        self.assertThat(done.stderr, Contains("2 kept directories"))

    def test_archive(self):
        archive = self.dest / "evidence.tar.gz"
        done = self.collect(str(archive), "--archive")
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertEqual(str(archive), done.stdout.strip())
        self.assertEqual([], [p.name for p in self.dest.iterdir() if p != archive])
        with tarfile.open(archive) as tar:
            members = {m.name: m for m in tar.getmembers()}
            prefix = "run-0/tests/test_fail_big0/"
            self.assertEqual(
                b"first line\nsecond line\n",
                tar.extractfile(prefix + "log.txt").read(),
            )
            self.assertTrue(members[prefix + "latest"].issym())
            self.assertEqual("log.txt", members[prefix + "latest"].linkname)
            for name in ("etc", "passwd", "up", "pipe"):
                self.assertNotIn(prefix + name, members)
            self.assertIn("run-0/manifest.jsonl", members)
            self.assertIn("run-0/index.json", members)
            # Safe to unpack with Python's strictest filter.
            tar.extractall(self.dest / "out", filter="data")
        self.assertEqual(
            "notes\n", (self.dest / "out" / prefix / "sub" / "notes.txt").read_text()
        )

    def test_size_cap(self):
        done = self.collect(str(self.dest), "--max-size", "100KB")
        self.assertEqual(0, done.returncode, done.stderr)
        top = self.dest / "run-0"
        index = self.index(top)
        self.assertLessEqual(index["size"], 100_000)
        skipped = {Path(s["path"]).name: s["reason"] for s in index["skipped"]}
        self.assertThat(skipped["core"], Contains("over --max-size: 300000 bytes"))
        big = top / "tests" / "test_fail_big0"
        self.assertFalse(os.path.lexists(big / "core"))
        # Smaller files after the one that did not fit still go.
        self.assertEqual("notes\n", (big / "sub" / "notes.txt").read_text())
        self.assertTrue((top / "tests" / "test_fail_small0" / "evidence.txt").exists())
        self.assertThat((top / "INDEX.txt").read_text(), Contains("core: over"))

    def test_pattern_selects_tests(self):
        done = self.collect(str(self.dest), "--session", "fail_small")
        self.assertEqual(0, done.returncode, done.stderr)
        kept = os.listdir(self.dest / "run-0" / "tests")
        self.assertEqual(["test_fail_small0"], kept)

    def test_usage_errors_name_the_option(self):
        for args, named in [
            (["--max-size", "lots"], "--max-size: 'lots'"),
            (["--session", "7"], "--session 7: there is no session run-7"),
            (["--archive"], "must end in .tar.gz"),
            (["--session", "/nonexistent/run-9"], "not a session directory"),
        ]:
            done = self.collect(str(self.dest / "x"), *args)
            self.assertEqual(2, done.returncode, done.stderr)
            self.assertThat(done.stderr, Contains(named))
        self.assertEqual([], os.listdir(self.dest))
        inside = self.stestr.session / "test_fail_small0" / "out"
        done = self.collect(str(inside))
        self.assertEqual(2, done.returncode)
        self.assertThat(done.stderr, Contains("is inside the session"))
        self.assertFalse(inside.exists())
        done = self.collect()
        self.assertEqual(2, done.returncode)
        self.assertThat(done.stderr, Contains("DEST"))
        self.assertEqual(0, self.collect(str(self.dest)).returncode)
        again = self.collect(str(self.dest))
        self.assertEqual(2, again.returncode)
        self.assertThat(again.stderr, Contains("already holds run-0"))

    def test_nothing_matches_the_pattern(self):
        done = self.collect(str(self.dest), "--session", "no_such_test")
        self.assertEqual(1, done.returncode, done.stderr)
        self.assertThat(done.stderr, Contains("nothing to collect"))
        self.assertEqual([], os.listdir(self.dest))

    def test_unreadable_file_as_another_user(self):
        # root reads everything: collect a copy of the session as nobody,
        # who owns all of it but may not read one file.
        session = self.dest / "run-0"
        subprocess.run(["cp", "-a", str(self.stestr.session), str(session)], check=True)
        manifest = session / ".manifest.jsonl"
        text = manifest.read_text().replace(str(self.stestr.session), str(session))
        manifest.write_text(text)
        out = self.dest / "out"
        out.mkdir()
        locked = session / "test_fail_big0" / "locked"
        locked.mkdir()
        (locked / "inside.txt").write_text("unseen")
        os.chmod(self.stestr.top, 0o711)  # mkdtemp's 0700 would stop nobody
        for path in (self.dest, session, out, *session.rglob("*")):
            os.lchown(path, NOBODY, NOBODY)
        secret = session / "test_fail_big0" / "secret.txt"
        secret.chmod(0)
        locked.chmod(0)
        status, output = collect_as_nobody(out, "--session", str(session))
        self.assertEqual(0, status, output)
        index = self.index(out / "run-0")
        skipped = {s["path"]: s["reason"] for s in index["skipped"]}
        self.assertEqual("unreadable: Permission denied", skipped[str(secret)])
        self.assertEqual("unreadable: Permission denied", skipped[str(locked)])
        kept = out / "run-0" / "tests" / "test_fail_big0"
        self.assertFalse(os.path.lexists(kept / "secret.txt"))
        self.assertEqual("notes\n", (kept / "sub" / "notes.txt").read_text())


def collect_as_nobody(*args: str) -> tuple[int, str]:
    """Run ``fixturestmp collect ARGS`` in a forked child that is nobody.

    The interpreter lives under root's private home, so the child cannot
    exec it: it runs the command in process, everything imported first.
    """
    from fixturestmp import cli
    from fixturestmp._cli import collect  # noqa: F401
    from fixturestmp._store import removal, selection  # noqa: F401

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        status = 70
        try:
            os.close(read_fd)
            os.dup2(write_fd, 1)
            os.dup2(write_fd, 2)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            status = cli.main(["collect", *map(str, args)])
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
    os.close(write_fd)
    with os.fdopen(read_fd, errors="replace") as stream:
        output = stream.read()
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), output


class TestNothingToCollect(testtools.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A failed run whose tests kept nothing: the session stays, empty.
        suite = "import fixturestmp\n\nclass T(fixturestmp.TestCase):\n" \
                "    def test_ok(self):\n        self.tmp_path\n\n" \
                "    def test_fails_without_a_directory(self):\n" \
                "        self.fail('no directory')\n"  # fmt: skip
        cls.stestr = StestrRun({"suite/test_ok.py": suite}, concurrency=1)

    @classmethod
    def tearDownClass(cls):
        cls.stestr.remove()
        super().tearDownClass()

    def test_run_that_kept_nothing_collects_nothing(self):
        self.assertEqual(1, self.stestr.result.returncode, self.stestr.result.stderr)
        dest = self.stestr.top / "dest"
        done = self.stestr.cli("collect", str(dest))
        self.assertEqual(1, done.returncode, done.stderr)
        self.assertThat(done.stderr, Contains("no kept test directories and no leaks"))
        self.assertFalse(dest.exists())

    def test_no_session_at_all(self):
        empty = self.stestr.top / "empty-root"
        empty.mkdir(exist_ok=True)
        done = self.stestr.cli("collect", str(self.stestr.top / "d"),
                            env={"FIXTURESTMP_ROOT": str(empty)})  # fmt: skip
        self.assertEqual(1, done.returncode, done.stderr)
        self.assertThat(done.stderr, Contains("nothing to collect (no session)"))


class TestDamagedManifest(IsolatedTestCase):
    """Kept directories on disk are collected whatever became of the
    manifest; what could not be read is said."""

    def setUp(self):
        super().setUp()
        with self.session(retention_policy="failed") as session:
            for name in ("test_first", "test_second"):
                kept = session.sessiondir.dirs.mktemp(name)
                (kept / "evidence.txt").write_text(f"{name}\n")
                session.record(f"pkg.T.{name}", kept, "failed", True)
            session.failed = True
        self.session_path = session.path
        self.manifest = session.path / MANIFEST_NAME
        self.dest = self.workdir / "dest"

    def collected(self) -> tuple[subprocess.CompletedProcess, dict]:
        done = run_cli("collect", str(self.dest), root=self.root, cwd=self.workdir)
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertNotIn("Traceback", done.stderr)
        top = self.dest / self.session_path.name
        for name in ("test_first0", "test_second0"):
            copy = top / "tests" / name / "evidence.txt"
            self.assertEqual(f"{name[:-1]}\n", copy.read_text(), done.stderr)
        index = json.loads((top / "index.json").read_text())
        return done, {test["path"]: test for test in index["tests"]}

    def test_cut_mid_line(self):
        data = self.manifest.read_bytes()
        self.manifest.write_bytes(data[: len(data) - 20])
        done, tests = self.collected()
        first = tests[str(self.session_path / "test_first0")]
        second = tests[str(self.session_path / "test_second0")]
        self.assertEqual(
            ("pkg.T.test_first", "failed"), (first["id"], first["outcome"])
        )
        self.assertEqual(("", "unrecorded"), (second["id"], second["outcome"]))
        lines = done.stderr.splitlines()
        self.assertThat(lines[0], StartsWith(
            f"fixturestmp collect: {self.manifest}: line 2 skipped: cut short ("
        ))  # fmt: skip
        self.assertThat(lines[1], StartsWith(
            "fixturestmp collect: the manifest has no record of 1 directory on disk"
        ))  # fmt: skip
        self.assertEqual(3, len(lines), done.stderr)

    def test_emptied(self):
        self.manifest.write_bytes(b"")
        done, tests = self.collected()
        self.assertEqual({"unrecorded"}, {test["outcome"] for test in tests.values()})
        lines = done.stderr.splitlines()
        self.assertThat(lines[0], StartsWith(
            "fixturestmp collect: the manifest has no record of 2 directories on disk"
        ))  # fmt: skip
        self.assertEqual(2, len(lines), done.stderr)
