"""Tests for fixturestmp._store.treewalk: reading kept trees, never through links."""

import os
from pathlib import Path

import fixtures
import testtools

from fixturestmp._store.treewalk import open_file, walk_tree


class TestWalkTree(testtools.TestCase):
    def setUp(self):
        super().setUp()
        self.top = Path(self.useFixture(fixtures.TempDir()).path) / "kept"
        self.outside = Path(self.useFixture(fixtures.TempDir()).path)
        (self.outside / "secret").write_text("outside")
        (self.top / "a" / "b").mkdir(parents=True)
        (self.top / "a" / "b" / "deep.txt").write_text("deep")
        (self.top / "file.txt").write_text("12345")
        os.symlink(self.outside, self.top / "out-dir")
        os.symlink(self.outside / "secret", self.top / "out-file")
        os.mkfifo(self.top / "fifo")

    def test_every_entry_once_directories_first_links_not_entered(self):
        seen = {entry.rel: entry for entry in walk_tree(self.top)}
        self.assertEqual(
            ["", "a", "a/b", "a/b/deep.txt", "fifo", "file.txt", "out-dir",
             "out-file"],
            list(seen),
        )  # fmt: skip
        self.assertEqual("dir", seen[""].kind)
        self.assertEqual(("file", 5), (seen["file.txt"].kind, seen["file.txt"].size))
        self.assertEqual(("link", str(self.outside)),
                         (seen["out-dir"].kind, seen["out-dir"].target))  # fmt: skip
        self.assertEqual("other", seen["fifo"].kind)

    def test_open_file_reads_files_and_refuses_what_became_a_link(self):
        for entry in walk_tree(self.top):
            if entry.rel == "file.txt":
                fd = open_file(entry)
                try:
                    self.assertEqual(b"12345", os.read(fd, 100))
                finally:
                    os.close(fd)
                # Swapped for a symlink between the listing and the read.
                os.unlink(self.top / "file.txt")
                os.symlink(self.outside / "secret", self.top / "file.txt")
                self.assertRaises(OSError, open_file, entry)

    def test_a_directory_swapped_for_a_link_is_not_entered(self):
        walk = walk_tree(self.top)
        self.assertEqual("", next(walk).rel)
        self.assertEqual("a", next(walk).rel)
        # "a" was listed as a directory; make it a link before it is opened.
        os.rename(self.top / "a", self.top / "a-moved")
        os.symlink(self.outside, self.top / "a")
        rest = list(walk)
        self.assertEqual("error", rest[0].kind)
        self.assertEqual("a", rest[0].rel)
        self.assertNotIn("secret", {Path(entry.rel).name for entry in rest})

    def test_top_that_is_a_link_is_reported_not_followed(self):
        link = self.top.parent / "link-to-outside"
        os.symlink(self.outside, link)
        self.assertEqual(["link"], [entry.kind for entry in walk_tree(link)])

    def test_closing_early_closes_the_descriptors(self):
        before = len(os.listdir("/proc/self/fd"))
        walk = walk_tree(self.top)
        for entry in walk:
            if entry.rel == "a/b":
                break
        walk.close()
        self.assertEqual(before, len(os.listdir("/proc/self/fd")))
