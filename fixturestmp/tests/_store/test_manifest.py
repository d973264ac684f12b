"""Tests for fixturestmp._store.manifest."""

import json
import os
import subprocess
import sys
import time
import warnings

from fixturestmp._store.manifest import (
    BATCH,
    COUNT_BATCH,
    MANIFEST_NAME,
    ManifestWarning,
    ManifestWriter,
    read_manifest,
)
from fixturestmp.tests.support import IsolatedTestCase, python_env, run_cli
from fixturestmp.tests.support.forked import in_forked_child

WORKER = """
import sys
import fixturestmp

session = fixturestmp.default_session()
for number in range(500):
    with fixturestmp.TempDirFixture(f"w{sys.argv[1]}_") as tmp:
        if number % 7 == 0:
            tmp.mark_failed()
"""


class TestManifest(IsolatedTestCase):
    def test_concurrent_workers_lose_and_tear_nothing(self):
        owner = self.useFixture(self.session(retention_policy="failed"))
        env = python_env({"FIXTURESTMP_SESSION": str(owner.path)})
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, str(n)],
                env=env,
                cwd=self.workdir,
            )
            for n in range(4)
        ]
        self.assertEqual([0, 0, 0, 0], [w.wait(timeout=300) for w in workers])
        lines = (owner.path / MANIFEST_NAME).read_bytes().splitlines()
        records = [json.loads(line) for line in lines]
        tests = [r for r in records if r["kind"] == "test"]
        # Each failed test has its own line; the passed ones are counted.
        self.assertEqual(4 * 72, len(tests))
        self.assertEqual(4 * 72, len({r["path"] for r in tests}))
        self.assertEqual({"failed"}, {r["outcome"] for r in tests})
        counts = [r["count"] for r in records if r["kind"] == "removed"]
        self.assertEqual(2000 - 4 * 72, sum(counts))
        self.assertEqual(len(records), len(tests) + len(counts))

    def test_batched_records_are_written_once_and_not_by_forked_children(self):
        writer = ManifestWriter(self.root)
        for number in range(BATCH - 1):
            writer.append({"n": number}, urgent=False)
        self.assertEqual([], list(read_manifest(self.root)))
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            writer.append({"n": "child"}, urgent=True)
            writer.close()
            os._exit(0)
        os.waitpid(pid, 0)
        self.assertEqual([{"n": "child"}], list(read_manifest(self.root)))
        writer.append({"n": "last of the batch"}, urgent=False)
        records = list(read_manifest(self.root))
        self.assertEqual(1 + BATCH, len(records))
        writer.append({"n": "late"}, urgent=False)
        writer.close()
        self.assertEqual(
            [*range(BATCH - 1), "last of the batch", "late"],
            [r["n"] for r in list(read_manifest(self.root))[1:]],
        )

    def test_removed_count_is_written_in_batches_and_not_by_forked_children(self):
        writer = ManifestWriter(self.root)
        for _ in range(COUNT_BATCH - 1):
            writer.count_removed()
        self.assertEqual([], list(read_manifest(self.root)))
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            writer.count_removed()
            writer.close()
            os._exit(0)
        os.waitpid(pid, 0)
        self.assertEqual([1], [r["count"] for r in read_manifest(self.root)])
        writer.count_removed()  # The batch is full: written at once.
        self.assertEqual(
            [1, COUNT_BATCH], [r["count"] for r in read_manifest(self.root)]
        )
        writer.count_removed()
        writer.append({"kind": "leak"})  # Any write takes the count along.
        writer.close()
        records = list(read_manifest(self.root))[2:]
        self.assertEqual(
            [("leak", None), ("removed", 1)],
            [(r["kind"], r.get("count")) for r in records],
        )
        self.assertEqual({os.getpid()}, {r["pid"] for r in records if "pid" in r})

    def test_a_forked_child_writes_its_own_and_leaves_the_parents_file(self):
        writer = ManifestWriter(self.root)
        writer.append({"n": "parent, before"})  # The file is open.
        writer.append({"n": "parent, batched"}, urgent=False)
        writer.count_removed()

        def child():
            writer.append({"n": "child"})
            writer.close()
            return os.getpid()

        child_pid = in_forked_child(child)
        writer.append({"n": "parent, after"})
        writer.close()
        self.assertEqual(
            [
                ("parent, before", None),
                ("child", None),
                ("parent, batched", None),
                ("parent, after", None),
                (None, os.getpid()),
            ],
            [(r.get("n"), r.get("pid")) for r in read_manifest(self.root)],
        )
        self.assertNotEqual(os.getpid(), child_pid)

    def test_partial_last_line_is_skipped(self):
        writer = ManifestWriter(self.root)
        writer.append({"id": "a"})
        writer.close()
        with open(self.root / MANIFEST_NAME, "ab") as stream:
            stream.write(b'{"id": "torn')
        problems: list[str] = []
        self.assertEqual([{"id": "a"}], list(read_manifest(self.root, problems)))
        self.assertEqual(
            [f"{self.root / MANIFEST_NAME}: line 2 skipped: cut short (12 bytes, "
             f"no newline)"],
            problems,
        )  # fmt: skip


class TestTestRecords(IsolatedTestCase):
    def test_lines_parse_and_hold_the_fields(self):
        session = self.useFixture(self.session(retention_policy="all"))
        cases = [
            ("pkg.Test.test_it", "/tmp/s/test_it0", "passed", True),
            ('a "quoted"\\ \n id', "/tmp/\u00fcmlaut/\udcff", "failed", True),
            ("", "/", "skipped", True),
            ("pkg.Test.test_gone", "/tmp/s/gone0", "failed", False),
        ]
        before = time.time()
        for test_id, path, outcome, retained in cases:
            session.record(test_id, path, outcome, retained)
        after = time.time()
        session.manifest.flush()
        lines = (session.path / MANIFEST_NAME).read_bytes().splitlines(keepends=True)
        self.assertEqual(len(cases), len(lines))
        for line, (test_id, path, outcome, retained) in zip(lines, cases, strict=True):
            self.assertTrue(line.isascii())
            self.assertEqual(1, line.count(b"\n"))
            record = json.loads(line)
            # Rounded to milliseconds.
            self.assertTrue(before - 0.001 <= record.pop("time") <= after + 0.001)
            expected = {
                "kind": "test", "id": test_id, "path": path, "outcome": outcome,
                "retained": retained, "pid": os.getpid(),
            }  # fmt: skip
            self.assertEqual(expected, record)


class TestDamagedRecords(IsolatedTestCase):
    """A line of valid JSON with fields of the wrong type costs that record,
    said in one line naming the file and the line, never a traceback."""

    def setUp(self):
        super().setUp()
        with self.session(retention_policy="failed") as session:
            kept = session.sessiondir.dirs.mktemp("test_kept")
            (kept / "evidence").write_text("kept\n")
            session.record("pkg.T.test_kept", kept, "failed", True)
            session.failed = True
        self.session_path = session.path
        self.manifest = session.path / MANIFEST_NAME
        with open(self.manifest, "ab") as stream:
            stream.write(
                b'{"kind":"test","id":5,"path":"/x","outcome":"failed",'
                b'"retained":true}\n{"kind":"test","id":"pkg.T.test_path",'
                b'"path":7,"outcome":"failed","retained":true}\n'
                b'{"kind":"leak","id":"pkg.T.test_kept","size":"big"}\n'
            )
        self.said = [
            f"{self.manifest}: line 2 skipped: its id is 5, not text",
            f"{self.manifest}: line 3 skipped: its path is 7, not text",
            f"{self.manifest}: line 4 skipped: its size is 'big', not a whole number",
        ]

    def test_reader_skips_them_and_says_where(self):
        problems: list[str] = []
        records = list(read_manifest(self.session_path, problems))
        self.assertEqual(["pkg.T.test_kept"], [r["id"] for r in records])
        self.assertEqual(self.said, problems)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.assertEqual(records, list(read_manifest(self.session_path)))
        self.assertEqual(
            [f"fixturestmp: {line}" for line in self.said],
            [str(w.message) for w in caught],
        )
        self.assertEqual({ManifestWarning}, {w.category for w in caught})

    def test_every_command_reads_the_rest(self):
        dest = self.workdir / "dest"
        for command, status in [
            (["ls"], 0),
            (["ls", "--json"], 0),
            (["show", "pkg.T"], 0),
            (["report", "--json"], 0),
            (["collect", str(dest)], 0),
        ]:
            done = run_cli(*command, root=self.root, cwd=self.workdir)
            self.assertEqual(status, done.returncode, (command, done.stderr))
            lines = done.stderr.splitlines()
            name = command[0]
            self.assertEqual(
                [f"fixturestmp {name}: {line}" for line in self.said],
                lines[:3],
                (command, done.stderr),
            )
            # collect adds its one-line summary; nothing else says more.
            self.assertEqual(4 if name == "collect" else 3, len(lines), done.stderr)
            # The good record is read: its test's kept directory is shown.
            self.assertIn("test_kept0", done.stdout + done.stderr + (
                (dest / self.session_path.name / "INDEX.txt").read_text()
                if name == "collect" else ""
            ))  # fmt: skip
