"""Tests for fixturestmp.leaks.dirlisting: listing the temp directory."""

import os
import time

import fixtures

from fixturestmp import leaks
from fixturestmp.leaks import dirlisting
from fixturestmp.tests.support.leaks import LeakTestCase


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
