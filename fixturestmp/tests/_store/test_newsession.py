"""Tests for fixturestmp._store.newsession."""

import os

from testtools.matchers import Contains

import fixturestmp
from fixturestmp._store.basedir import BaseDir
from fixturestmp._store.newsession import MARKER_NAME, check_basetemp, create_numbered
from fixturestmp.tests.support import IsolatedTestCase


class TestCreateNumbered(IsolatedTestCase):
    def test_numbers_skip_names_taken_by_other_things(self):
        base = BaseDir(self.root)
        self.addCleanup(base.close)
        (base.path / "run-0").write_text("not a session")
        path, fd = create_numbered(base)
        os.close(fd)
        self.assertEqual("run-1", path.name)
        self.assertTrue((path / MARKER_NAME).is_file())
        self.assertEqual("run-1", os.readlink(base.path / "run-current"))
        self.assertEqual("1\n", (base.path / ".last-number").read_text())


class TestCheckBasetemp(IsolatedTestCase):
    def test_missing_empty_and_marked_directories_pass(self):
        check_basetemp(self.workdir / "missing", True)
        check_basetemp(self.workdir, True)
        (self.workdir / MARKER_NAME).touch()
        (self.workdir / "left-by-an-earlier-session").mkdir()
        check_basetemp(self.workdir, True)

    def test_a_file_is_refused(self):
        target = self.workdir / "file"
        target.write_text("x")
        error = self.assertRaises(fixturestmp.ConfigError, check_basetemp, target, True)
        self.assertThat(str(error), Contains("it is a file"))
