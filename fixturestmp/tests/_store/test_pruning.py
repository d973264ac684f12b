"""Tests for fixturestmp._store.pruning: a ``run-<N>`` directory fixturestmp did not
make is never counted as a session, pruned or removed."""

import json

from fixturestmp.tests.support import IsolatedTestCase, run_cli


class TestForeignRunDirectories(IsolatedTestCase):
    def setUp(self):
        super().setUp()
        # Two ended sessions, both kept.
        for _ in range(2):
            with self.session(retention_policy="all"):
                pass
        # Named like the newest session, without the marker: someone's data.
        self.foreign = self.base / "run-5"
        self.foreign.mkdir()
        (self.foreign / "precious.txt").write_text("not fixturestmp's\n")

    def cli(self, *args: str):
        return run_cli(*args, root=self.root, cwd=self.workdir)

    def assertForeignUntouched(self) -> None:
        self.assertEqual(
            "not fixturestmp's\n", (self.foreign / "precious.txt").read_text()
        )

    def test_clean_all_leaves_it(self):
        done = self.cli("clean", "--all")
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertForeignUntouched()
        self.assertEqual(["run-5"], self.sessions())
        self.assertNotIn("run-5", done.stdout)

    def test_clean_does_not_count_it(self):
        done = self.cli("clean", "--retention-count", "1")
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertForeignUntouched()
        # The newest session is kept: run-5 takes none of the places.
        self.assertEqual(["run-1", "run-5"], self.sessions())

    def test_the_end_of_a_session_neither_prunes_nor_counts_it(self):
        with self.session(retention_policy="all", retention_count=2) as session:
            pass
        # Numbered above it all the same, so the names never collide.
        self.assertEqual("run-6", session.path.name)
        self.assertForeignUntouched()
        self.assertEqual(["run-1", "run-5", "run-6"], self.sessions())

    def test_ls_says_it_is_no_session(self):
        done = self.cli("ls", "--json")
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertEqual([1, 0], [s["number"] for s in json.loads(done.stdout)])
        self.assertEqual(
            [
                f"fixturestmp ls: {self.foreign} is not a fixturestmp session (it "
                f"has no marker file); it is never counted, pruned or removed"
            ],
            done.stderr.splitlines(),
        )

    def test_a_session_number_does_not_name_it(self):
        done = self.cli("report", "--json", "--session", "5")
        self.assertEqual(2, done.returncode, done.stderr)
        self.assertIn("there is no session run-5", done.stderr)
