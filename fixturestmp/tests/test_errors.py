"""Tests for fixturestmp.errors: errors that name their files in full."""

import errno
import os
from pathlib import Path

import fixtures
import testtools

from fixturestmp._store.removal import remove_entry
from fixturestmp.errors import name_in, names_in


class TestNameIn(testtools.TestCase):
    def test_relative_names_become_full_paths(self):
        error = OSError(errno.EIO, "Input/output error", "a", None, "b")
        self.assertIs(error, name_in(error, "/base", "/other"))
        self.assertEqual(("/base/a", "/other/b"), (error.filename, error.filename2))
        self.assertEqual(
            "[Errno 5] Input/output error: '/base/a' -> '/other/b'", str(error)
        )

    def test_second_name_defaults_to_the_same_directory(self):
        error = name_in(OSError(errno.EIO, "x", "a", None, "b"), Path("/base"))
        self.assertEqual(("/base/a", "/base/b"), (error.filename, error.filename2))

    def test_absolute_and_missing_names_are_left(self):
        error = name_in(OSError(errno.EIO, "x", "/abs"), "/base")
        self.assertEqual(("/abs", None), (error.filename, error.filename2))
        self.assertIsNone(name_in(OSError(errno.EIO, "x"), "/base").filename)

    def test_the_block_raises_the_same_error_named_in_full(self):
        directory = self.useFixture(fixtures.TempDir()).path
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        self.addCleanup(os.close, fd)
        with self.assertRaises(FileNotFoundError) as caught:
            with names_in(directory):
                os.rmdir("missing", dir_fd=fd)  # a real error, relative to fd
        self.assertEqual(os.path.join(directory, "missing"), caught.exception.filename)
        self.assertIn(directory, str(caught.exception))


class TestRemovalNamesWhatFailed(testtools.TestCase):
    def test_a_failed_look_at_the_entry_names_it(self):
        directory = Path(self.useFixture(fixtures.TempDir()).path)
        (directory / "file").write_text("x")
        fd = os.open(directory / "file", os.O_RDONLY)
        self.addCleanup(os.close, fd)
        # A file's descriptor as the parent: lstat fails (ENOTDIR), really.
        shown = str(directory / "file" / "entry")
        error = self.assertRaises(
            NotADirectoryError, remove_entry, fd, "entry", shown=shown
        )
        self.assertIn(shown, str(error))
