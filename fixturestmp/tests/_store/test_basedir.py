"""Tests for fixturestmp._store.basedir."""

import os
import warnings

import fixtures
from testtools.matchers import Contains

import fixturestmp
from fixturestmp._store.basedir import BaseDir, SharedRootWarning
from fixturestmp.tests.support import IsolatedTestCase

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


class TestSharedRoot(IsolatedTestCase):
    """A root someone else can write to is said once per root and process."""

    def open_twice(self, root) -> list[str]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(2):
                BaseDir(root).close()
        return [str(w.message) for w in caught if w.category is SharedRootWarning]

    def test_writable_by_everyone_without_the_sticky_bit(self):
        root = self.root / "open"
        root.mkdir()
        os.chmod(root, 0o777)
        said = self.open_twice(root)
        self.assertEqual(1, len(said), said)
        for part in (str(root), "(mode 0777) without the sticky bit", "chmod +t"):
            self.assertThat(said[0], Contains(part))

    def test_owned_by_another_user(self):
        root = self.root / "theirs"
        root.mkdir()
        os.chown(root, OTHER_UID, OTHER_UID)
        said = self.open_twice(root)
        self.assertEqual(1, len(said), said)
        self.assertThat(said[0], Contains(f"owned by uid {OTHER_UID}"))

    def test_private_or_sticky_roots_are_quiet(self):
        sticky = self.root / "sticky"
        sticky.mkdir()
        os.chmod(sticky, 0o1777)  # like /tmp
        self.assertEqual([], self.open_twice(sticky))
        self.assertEqual([], self.open_twice(self.root))
