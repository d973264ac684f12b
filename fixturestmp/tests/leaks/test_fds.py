"""Tests for fixturestmp.leaks.fds: the file-descriptor check."""

import os

from testtools.matchers import Contains, HasLength, MatchesRegex

from fixturestmp import leaks
from fixturestmp.tests.support.leaks import LeakTestCase


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
