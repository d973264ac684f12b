"""Tests for fixturestmp._process.forks, with real forked children."""

import fixtures
import testtools

from fixturestmp._process import forks
from fixturestmp.tests.support.forked import in_forked_child


class TestAfterForkInChild(testtools.TestCase):
    def register(self, reset):
        forks.after_fork_in_child(reset)
        self.addCleanup(forks._resets.remove, reset)

    def test_resets_run_in_the_child_only(self):
        state = {"owner": "parent"}

        def reset():
            state["owner"] = "child"

        self.register(reset)
        self.assertEqual("child", in_forked_child(lambda: state["owner"]))
        self.assertEqual("parent", state["owner"])

    def test_every_reset_runs_when_one_raises(self):
        state = {"reset": False}
        seen = []

        def broken():
            raise OSError("broken reset")

        def reset():
            state["reset"] = True

        self.register(broken)
        self.register(reset)
        # Python reports an error of a fork handler as unraisable.
        self.useFixture(
            fixtures.MonkeyPatch(
                "sys.unraisablehook", lambda info: seen.append(str(info.exc_value))
            )
        )
        self.assertEqual(
            [True, ["broken reset"]], in_forked_child(lambda: [state["reset"], seen])
        )
        self.assertEqual((False, []), (state["reset"], seen))

    def test_used_as_a_decorator_it_returns_the_function(self):
        def reset():
            pass

        self.assertIs(reset, forks.after_fork_in_child(reset))
        self.addCleanup(forks._resets.remove, reset)
