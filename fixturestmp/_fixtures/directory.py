"""A directory a fixture made, from its making to its fate.

:func:`open_directory` makes it in the session during a fixture's
``_setUp`` (:func:`make_directory` without a fixture, for pytest's
``tmp_path``) and finds the test it belongs to; the :class:`_Directory`
then waits for that test's outcome and keeps or removes it.
"""

import os
import sys
import tempfile
import unittest
from collections.abc import Callable
from pathlib import Path

import fixtures
import testtools
from testtools.content import Content
from testtools.content_type import UTF8_TEXT

from fixturestmp._fixtures.details import listing, text_detail
from fixturestmp._fixtures.retention import Decision, decide
from fixturestmp._fixtures.session import SessionTempFixture, default_session
from fixturestmp._process import forks
from fixturestmp._runtime import testruns
from fixturestmp._runtime.watch import CaseWatch, running_test
from fixturestmp._store.removal import remove_tree
from fixturestmp.policy import RetentionPolicy

__all__ = ["make_directory", "open_directory"]


def open_directory(
    fixture: fixtures.Fixture,
    *,
    name: str | None = None,
    session: SessionTempFixture | None = None,
    policy: RetentionPolicy | None = None,
    rootdir: str | os.PathLike[str] | None = None,
) -> "_Directory":
    """Make a directory for ``fixture``'s user, during its ``_setUp``.

    As :func:`make_directory`; the directory's cleanup and its ``tmp-path``
    detail are added to ``fixture``.
    """
    directory = make_directory(
        name=name, session=session, policy=policy, rootdir=rootdir
    )
    fixture.addCleanup(directory.close)
    fixture.addDetail("tmp-path", directory.detail)
    return directory


def make_directory(
    *,
    name: str | None = None,
    session: SessionTempFixture | None = None,
    policy: RetentionPolicy | None = None,
    rootdir: str | os.PathLike[str] | None = None,
) -> "_Directory":
    """Make a directory for the running test; its user calls its ``close``
    when done with it.

    The directory learns the running test's outcome.

    :param name: The directory's name in the session (default: the running
        test method's name, else ``tmp``).
    :param rootdir: Make it there instead, with a random name, as
        ``tempfile.mkdtemp(dir=rootdir)`` does; it is recorded in the session
        but never pruned with it.
    """
    # pytest's plugin, where it runs, knows the test's outcome best: it
    # hears every phase. Else the unittest or testtools case running.
    watch = running_test()
    case = None
    if watch is None:
        case, result = testruns.running_run()
        if case is not None:
            watch = testruns.watch(case, result)
    session = session or default_session()
    sessiondir = session.sessiondir
    if rootdir is None:
        if not name:
            if case is not None:
                name = testruns.test_name(case)
            else:
                name = "tmp" if watch is None else watch.test_name()
        where = sessiondir.dirs.make_dir(name)
        remove = sessiondir.dirs.discard
    else:
        where = os.path.abspath(tempfile.mkdtemp(dir=rootdir))
        remove = remove_tree
    return _Directory(
        session,
        policy or sessiondir.retention_policy,
        where,
        watch,
        remove,
        in_session=rootdir is None,
    )


#: Which process made an object: 0 in the process that imported this, one
#: more in each forked child. A child's copy of its parent's directory is
#: never settled there: the parent decides, records and removes it.
_process = 0


@forks.after_fork_in_child
def _forked() -> None:
    global _process
    _process += 1


class _Directory:
    """One directory a :class:`TempDirFixture` made, until its fate is decided.

    A failure decides it at once: kept (under ``failed``), whenever it is
    learned. A pass or skip decides it only once its user is done (the
    fixture is cleaned up) and the runner has reported the test, when no
    failure can come any more. With no test, it is decided at cleanUp; if
    its session ends first, then, on what is known.

    :ivar where: The directory, an absolute path as text.
    :ivar session: The session it is recorded in.
    :ivar policy: The retention policy applied to it.
    :ivar detail: The ``tmp-path`` detail: the path, then the decision once
        made. Its text lives in one buffer updated in place, so every copy
        testtools took reads final.
    :ivar failure: Why its user failed, if it did, as far as known here.
    :ivar block: ``ended`` once a ``with`` block left it without error.
    :ivar decided: Whether its fate is decided.
    """

    __slots__ = (
        "_closed",
        "_expected",
        "_in_session",
        "_listed",
        "_path",
        "_process",
        "_remove",
        "_said",
        "_text",
        "_watch",
        "block",
        "decided",
        "detail",
        "failure",
        "policy",
        "session",
        "where",
    )

    def __init__(
        self,
        session: SessionTempFixture,
        policy: RetentionPolicy,
        where: str,
        watch: CaseWatch | None,
        remove: Callable[[str], None],
        in_session: bool = True,
    ) -> None:
        self.where = where
        self.session = session
        self.policy = policy
        self.failure: str | None = None
        self.block: str | None = None
        self.decided = False
        self._path: Path | None = None
        self._remove = remove
        self._in_session = in_session
        self._watch = watch
        self._closed = False
        self._listed = False
        self._process = _process
        self._said: str | None = None
        self._expected: tuple[str, Decision] | None = None
        self._text = bytearray(f"{where}\n{_PENDING}\n".encode("utf-8", "replace"))
        text = self._text  # Not self: no reference cycle, freed at once.
        # A bytearray where testtools expects bytes: the same buffer in every
        # copy testtools makes, so all read the decision once it is made.
        self.detail = Content(UTF8_TEXT, lambda: [text])  # type: ignore[list-item]
        session.sessiondir.hold(id(self), self._session_ends)
        if watch is not None:
            watch.wait(self)

    @property
    def path(self) -> Path:
        """The directory, an absolute :class:`~pathlib.Path`."""
        if self._path is None:
            # A child of the session's Path costs less than parsing the text.
            self._path = (
                self.session.sessiondir.path / self.where.rpartition("/")[2]
                if self._in_session
                else Path(self.where)
            )
        return self._path

    def close(self) -> None:
        """The fixture's cleanup: its user is done with the directory."""
        self._closed = True
        error = sys.exc_info()[1]
        if error is not None and not isinstance(error, unittest.SkipTest):
            # Its setUp failed, or its user cleans up after an error.
            self.failure = self.failure or "an error was raised as it was cleaned up"
        watch = self._watch
        if watch is None:
            self._settle(*self._without_test(_OUTSIDE))
        elif self.failure is not None:
            # Nothing the test does later can make a failure a pass.
            self._settle("failed", self.failure)
        elif watch.reported is not None:
            self._settle(*self._without_test(_OUTLIVED))
        elif watch.ended is not None:
            # Done with after the test's last cleanup (by a later cleanup of
            # its runner's): the outcome so far, final once reported.
            self._expect(watch.so_far())

    # What its test's watch tells it (_runtime.watch.Waiter).

    def test_ended(self, outcome: str) -> None:
        """Its test's last cleanup has run."""
        if self.failure is not None:
            self._settle("failed", self.failure)
        elif outcome == "failed":
            self._settle("failed", "the test failed")
        elif self._closed:
            if not self._expect(outcome).keep:
                self._withdraw_from_case()
        # Else it is still in use after its test: decided at cleanUp.
        if self._listed:
            self._tell_case()

    def test_failed(self) -> None:
        """A failure of its test was heard after its last cleanup."""
        self._settle("failed", self.failure or _FAILED_LATE)
        self._tell_case()

    def test_reported(self, outcome: str) -> None:
        """The runner reported its test: ``outcome`` is final."""
        if self.failure is not None:
            self._settle("failed", self.failure)
        elif outcome == "failed":
            self._settle("failed", _FAILED_LATE)
        elif self._closed:
            expected = self._expected
            if expected is not None and expected[0] == outcome:
                self._settle(outcome, "", expected[1])
            else:
                self._settle(outcome, _TEST_WHY[outcome])

    def _expect(self, outcome: str) -> Decision:
        """Say what will happen when the runner reports ``outcome``, for the
        reports made before then (testtools reads details as it reports).

        :return: The decision that report will apply.
        """
        decision = self._decision(outcome, _TEST_WHY[outcome])
        if not self.decided:
            self._expected = (outcome, decision)
            self._say(decision.text)
        return decision

    def _say(self, text: str) -> None:
        # Decisions are cached: a text said already is the same object.
        if self._said is not text:
            self._said = text
            self._text[:] = f"{self.where}\n{text}\n".encode("utf-8", "replace")

    def _without_test(self, unknown: str) -> tuple[str, str]:
        if self.failure is not None:
            return "failed", self.failure
        if self.block == "ended":
            return "passed", "its with block ended without error"
        return "unknown", unknown

    def _session_ends(self) -> None:
        watch = self._watch
        if watch is None:
            self._settle(*self._without_test(_OUTSIDE))
        elif self.failure is None and watch.so_far() == "failed":
            self._settle("failed", "the test failed")
        elif watch.ended is not None and self._closed:
            # Its test is over, and the process too: nothing can report more.
            outcome = watch.so_far()
            self._settle(outcome, _TEST_WHY[outcome])
        else:
            self._settle(
                *self._without_test(_EARLY if watch.ended is None else _OUTLIVED)
            )

    def _decision(self, outcome: str, why: str) -> Decision:
        session = self.session.sessiondir
        # With retention_count 0 the session, and all in it, goes at its end.
        removed_at_end = (
            self._in_session
            and session.retention_count == 0
            and session.basetemp is None
        )
        return decide(self.policy, outcome, why, not removed_at_end)

    def _settle(self, outcome: str, why: str, decision: Decision | None = None) -> None:
        if self.decided:
            return
        self.decided = True
        if self._process != _process:
            return  # A forked child's copy: its parent decides.
        session = self.session.sessiondir
        session.release(id(self))
        keep, text = decision or self._decision(outcome, why)
        where = self.where
        if not keep and _holds_working_directory(where):
            # Removing it would leave the process in a deleted directory,
            # where os.getcwd() fails for every test after.
            keep, text = True, f"{text.replace('removed', 'retained', 1)}{_CWD}"
        self._listed = keep and outcome != "passed"
        if self._said is not text:
            self._say(text)
        try:
            if not keep:
                self._remove(where)
        except OSError as error:
            self._text += f"but it could not be removed: {error}\n".encode(
                "utf-8", "replace"
            )
            raise
        finally:
            # A passed test's removed directory is only counted: its id is
            # not asked for.
            watch = self._watch
            if watch is not None and (keep or outcome == "failed"):
                test_id = watch.test_id()
            else:
                test_id = where.rpartition("/")[2]
            session.record(test_id, where, outcome, keep)

    def _tell_case(self) -> None:
        """A testtools case reports its details after its last cleanup:
        make sure it reports a kept directory's.
        """
        if self._listed:
            case = self._watch.case  # type: ignore[union-attr]
            if isinstance(case, testtools.TestCase):
                self._tell(case)

    def _withdraw_from_case(self) -> None:
        """A passing testtools case reports no detail of a directory that
        goes: the runner's stream (stestr keeps every test's) carries only
        what is worth reading. The fixture's own ``getDetails()`` keeps it;
        a failure heard later tells the case again (:meth:`_tell`).
        """
        case = self._watch.case  # type: ignore[union-attr]
        if isinstance(case, testtools.TestCase):
            details = case.getDetails()
            for name in [k for k, v in details.items() if self._is_ours(k, v)]:
                del details[name]

    def _tell(self, case: testtools.TestCase) -> None:
        """Make sure ``case`` reports our ``tmp-path``, with the listing."""
        details = case.getDetails()
        name = next(
            (key for key, value in details.items() if self._is_ours(key, value)), None
        )
        if name is None:
            name, number = "tmp-path", 0
            while name in details:
                number += 1
                name = f"tmp-path-{number}"
            case.addDetail(name, self.detail)
        path = self.path
        suffix = name[len("tmp-path") :]
        case.addDetail(f"tmp-path-listing{suffix}", text_detail(lambda: listing(path)))

    def _is_ours(self, name: str, content: Content) -> bool:
        if not name.startswith("tmp-path") or name.startswith("tmp-path-listing"):
            return False
        return any(chunk is self._text for chunk in content.iter_bytes())


def _holds_working_directory(where: str) -> bool:
    """Whether the process's working directory is ``where`` or inside it."""
    try:
        cwd = os.getcwd()
    except OSError:
        return False  # Gone already: nothing to protect.
    if cwd == where or cwd.startswith(where + "/"):
        return True
    # Through a symbolic link in the root (the path a test changed into
    # may be the resolved one), only where the names could match.
    if "/" + where.rpartition("/")[2] not in cwd:
        return False
    real = os.path.realpath(where)
    return cwd == real or cwd.startswith(real + "/")


_CWD = (
    ", but it is the process's working directory (its test changed into it "
    "and did not change back): removing it would break every later "
    "os.getcwd()"
)
_PENDING = "pending: retention is decided when the test ends"
_OUTSIDE = "outcome unknown (set up outside any running test)"
_OUTLIVED = "outcome unknown (it was still in use when its test ended)"
_EARLY = "outcome unknown (its session ended before its test did)"
_FAILED_LATE = "the test failed (reported after its last cleanup)"
_TEST_WHY = {
    "passed": "the test passed",
    "skipped": "the test was skipped",
    "failed": "the test failed",
}
