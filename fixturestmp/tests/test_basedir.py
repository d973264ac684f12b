"""Tests for fixturestmp.basedir."""

import os

import fixtures
from testtools.matchers import Contains

import fixturestmp
from fixturestmp.basedir import BaseDir
from fixturestmp.tests.helpers import IsolatedTestCase

OTHER_UID = 65534  # nobody


class TestBaseDir(IsolatedTestCase):
    def test_created_private(self):
        base = BaseDir(self.root)
        self.addCleanup(base.close)
        self.assertEqual(self.base, base.path)
        self.assertEqual(0o700, self.base.stat().st_mode & 0o777)

    def test_group_and_other_bits_are_removed(self):
        self.base.mkdir(mode=0o777)
        os.chmod(self.base, 0o777)
        BaseDir(self.root).close()
        self.assertEqual(0o700, self.base.stat().st_mode & 0o777)

    def test_symlink_is_refused(self):
        elsewhere = self.workdir / "attacker"
        elsewhere.mkdir()
        self.base.symlink_to(elsewhere)
        error = self.assertRaises(fixturestmp.UnsafeRootError, BaseDir, self.root)
        self.assertThat(str(error), Contains("is a symlink"))
        self.assertThat(str(error), Contains("FIXTURESTMP_ROOT"))
        self.assertEqual([], os.listdir(elsewhere))

    def test_other_users_directory_is_refused(self):
        self.base.mkdir(mode=0o700)
        os.chown(self.base, OTHER_UID, OTHER_UID)
        error = self.assertRaises(fixturestmp.UnsafeRootError, BaseDir, self.root)
        self.assertThat(str(error), Contains(f"owned by uid {OTHER_UID}"))
        self.assertThat(str(error), Contains("FIXTURESTMP_ROOT"))

    def test_file_is_refused(self):
        self.base.write_text("not a directory")
        error = self.assertRaises(fixturestmp.UnsafeRootError, BaseDir, self.root)
        self.assertThat(str(error), Contains("is not a directory"))

    def test_session_refuses_before_creating_anything(self):
        self.base.mkdir(mode=0o700)
        os.chown(self.base, OTHER_UID, OTHER_UID)
        session = self.session()
        error = self.assertRaises(fixtures.MultipleExceptions, session.setUp)
        self.assertIs(fixturestmp.UnsafeRootError, error.args[0][0])
        self.assertEqual([], os.listdir(self.base))
