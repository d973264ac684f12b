"""Tests for fixturestmp._store.removal."""

import os
import traceback

from testtools.matchers import Contains, DirExists, Not

from fixturestmp._store.removal import remove_tree
from fixturestmp.tests.support import IsolatedTestCase

NOBODY = 65534


def run_as_nobody(function, *args) -> str:
    """Run ``function(*args)`` in a forked child as nobody; return its error.

    A fork, not a new interpreter: nobody may not be able to run ours.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_end)
        message = ""
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            function(*args)
        except BaseException:
            message = traceback.format_exc()
        os.write(write_end, message.encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as stream:
        message = stream.read().decode()
    os.waitpid(pid, 0)
    return message


class TestRemoveTree(IsolatedTestCase):
    def make_tree(self):
        # The parent is nobody's, so that nobody may remove the tree from it.
        os.chmod(self.root, 0o755)
        parent = self.root / "parent"
        parent.mkdir()
        os.chown(parent, NOBODY, NOBODY)
        top = parent / "tree"
        (top / "a" / "b").mkdir(parents=True)
        (top / "a" / "file").write_text("x")
        (top / "a" / "b" / "deep").write_text("y")
        return top

    def test_removes_a_tree(self):
        top = self.make_tree()
        remove_tree(top)
        self.assertThat(str(top), Not(DirExists()))

    def test_symlinks_out_of_the_tree_are_not_followed(self):
        top = self.make_tree()
        outside = self.workdir / "outside"
        outside.mkdir()
        (outside / "precious").write_text("keep")
        (top / "a" / "to-dir").symlink_to(outside)
        (top / "a" / "to-file").symlink_to(outside / "precious")
        remove_tree(top)
        self.assertThat(str(top), Not(DirExists()))
        self.assertEqual("keep", (outside / "precious").read_text())

    def test_missing_is_quiet_unless_asked(self):
        remove_tree(self.root / "missing")
        self.assertRaises(
            FileNotFoundError, remove_tree, self.root / "missing", missing_ok=False
        )

    def test_read_only_tree_is_removed_by_its_non_root_owner(self):
        # As root permissions never stop us: run the removal as nobody.
        top = self.make_tree()
        for directory, _, files in os.walk(top):
            os.chown(directory, NOBODY, NOBODY)
            for name in files:
                os.chown(os.path.join(directory, name), NOBODY, NOBODY)
                os.chmod(os.path.join(directory, name), 0o400)
        for path in (top / "a" / "b", top / "a", top):
            os.chmod(path, 0o500)
        os.chmod(top / "a" / "b", 0o000)
        self.assertEqual("", run_as_nobody(remove_tree, top))
        self.assertThat(str(top), Not(DirExists()))

    def test_unremovable_entry_is_reported_by_name(self):
        top = self.make_tree()
        for path in (top, top / "a"):
            os.chown(path, NOBODY, NOBODY)
        # "b" belongs to root inside nobody's tree: nobody cannot empty it.
        (top / "a" / "b").chmod(0o755)
        error = run_as_nobody(remove_tree, top)
        self.assertThat(error, Contains("RemovalError"))
        self.assertThat(error, Contains(str(top / "a" / "b" / "deep")))
        self.assertTrue((top / "a" / "b" / "deep").exists())
        self.assertFalse((top / "a" / "file").exists())
