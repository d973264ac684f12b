"""TempDirFixture: a temporary directory kept only when it is worth keeping."""

import os
import sys
import unittest
from pathlib import Path
from typing import Any

import fixtures
import testtools
from testtools.content import Content
from testtools.content_type import UTF8_TEXT

from fixturestmp.config import resolve
from fixturestmp.details import listing, text_detail
from fixturestmp.outcome import CaseOutcome, find_case, outcome_of
from fixturestmp.policy import RetentionPolicy
from fixturestmp.session import SessionTempFixture, default_session

__all__ = ["TempDirFixture"]

_FIXTURE_SETUP = fixtures.Fixture.setUp.__code__
_USE_FIXTURE = testtools.TestCase.useFixture.__code__
_WHY = {
    # outcome: (under a test case, used directly)
    "failed": ("the test failed", "its user failed"),
    "skipped": ("the test was skipped", "the test was skipped"),
    "passed": ("the test passed", "its user passed"),
}


class TempDirFixture(fixtures.Fixture):
    """A temporary directory in a session, retained when its user fails.

    Used through a testtools test case's ``useFixture`` it learns the test's
    outcome by itself; in a ``with`` block, an exception out of the block
    counts as a failure; anywhere, :meth:`mark_failed` does.

    :ivar session: The :class:`SessionTempFixture` holding it.
    :ivar policy: The :class:`RetentionPolicy` applied at cleanUp.
    """

    def __init__(
        self,
        name: str | None = None,
        *,
        session: SessionTempFixture | None = None,
        policy: RetentionPolicy | str | None = None,
    ) -> None:
        """Check the options; nothing on disk is touched until setUp.

        :param name: The directory's name (made safe, numbered); default: the
            test method's name under ``useFixture``, else ``tmp``.
        :param session: The session to create it in (default:
            :func:`default_session`).
        :param policy: Retention policy (default: the session's).
        :raises ConfigError: ``policy`` is not valid.
        """
        super().__init__()
        self._name = name
        self._session_arg = session
        self._policy_arg = (
            resolve("retention_policy", policy) if policy is not None else None
        )
        self._path: str | None = None
        self._path_object: Path | None = None
        # Set before setUp: fixtures reads the details when setUp fails.
        self._state = "pending"
        self._outcome = "pending"
        self._case_detail: str | None = None
        self.session: SessionTempFixture = None  # type: ignore[assignment]

    def _setUp(self) -> None:
        case, direct = _find_user()
        self.session = self._session_arg or default_session()
        # The session's directory directly: its methods run once per test.
        self._dir = self.session._dir
        self.policy: RetentionPolicy = self._policy_arg or self._dir.retention_policy
        name = self._name or (case._testMethodName if case is not None else "tmp")
        self._path = self._dir.make_dir(name)
        self._path_object = None
        self._state = "pending"
        self._outcome = "pending"
        self._marked = False
        self._case = case
        self._tracker: CaseOutcome | None = None
        self._text = bytearray()
        self._case_detail = None
        self.addCleanup(self._cleanup)
        self._detail = Content(UTF8_TEXT, self._describe_bytes)
        self.addDetail("tmp-path", self._detail)
        if case is not None:
            self._tracker = outcome_of(case)
            if self._tracker is not None:
                self._tracker.wait(self._decide)
                self._dir.hold(id(self), self._settle_early)
            if direct:
                self._case_detail = _add_unique(case.getDetails(), self._detail)

    def getDetails(self) -> dict[str, Any]:
        """Return the details: ``tmp-path``, and ``tmp-path-listing`` once
        a failure keeps the directory.
        """
        details = super().getDetails()
        if self._case_detail is not None and sys._getframe(1).f_code is _USE_FIXTURE:
            # The test case holds our live detail already: testtools need
            # not copy it.
            details.pop("tmp-path", None)
        return details

    @property
    def path(self) -> Path:
        """The directory, an absolute :class:`pathlib.Path` (after setUp)."""
        if self._path_object is None and self._path is not None:
            # Made on first use: a test that never looks pays nothing.
            self._path_object = self._dir.path_of(self._path)
        return self._path_object  # type: ignore[return-value]

    def mark_failed(self) -> None:
        """Count this directory's user as failed: it is kept under ``failed``."""
        self._marked = True

    def __exit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> bool:
        if exc_type is not None and not issubclass(exc_type, unittest.SkipTest):
            self._marked = True
        return super().__exit__(exc_type, exc_val, exc_tb)

    def _cleanup(self) -> None:
        if sys.exc_info()[1] is not None and self._setup_failing():
            if self._case_detail is not None:
                # The case gets the details from the SetupError: not twice.
                self._case.getDetails().pop(self._case_detail, None)  # type: ignore[union-attr]
                self._case_detail = None
            if self._tracker is not None:
                self._tracker.forget(self._decide)
            self._decide("failed", why="its setUp failed")
        elif self._tracker is None:
            self._decide("failed" if self._marked else "passed")
        # Otherwise the case decides after its last cleanup.

    def _setup_failing(self) -> bool:
        """Return whether this cleanup runs because our setUp raised."""
        error = sys.exc_info()[1]
        traceback = error.__traceback__ if error is not None else None
        while traceback is not None:
            frame = traceback.tb_frame
            if frame.f_code is _FIXTURE_SETUP and frame.f_locals.get("self") is self:
                return True
            traceback = traceback.tb_next
        return False

    def _settle_early(self) -> None:
        # The session ends before the test case: decide on what is known.
        assert self._tracker is not None
        self._tracker.forget(self._decide)
        self._decide(self._tracker.current())

    def _decide(self, outcome: str, why: str | None = None) -> None:
        if self._state != "pending":
            return
        self._dir.release(id(self))
        if self._marked and outcome != "failed":
            outcome, why = "failed", "it was marked failed"
        why = why or _WHY[outcome][self._case is None]
        self._outcome = outcome
        self._why = why
        retained = self.policy.keeps(outcome == "failed")
        if not retained:
            self._dir.discard(self._path)
        self._state = "retained" if retained else "removed"
        if self._text:
            self._describe_bytes()  # Shown by every copy of the detail.
        if retained and outcome == "failed":
            self._offer_listing()
        if retained or outcome == "failed":
            case = self._case
            test_id = case.id() if case is not None else os.path.basename(self._path)
            self._dir.record(test_id, self._path, outcome, retained)
        else:
            self._dir.count_removed()

    def _offer_listing(self) -> None:
        """Add ``tmp-path-listing`` beside each ``tmp-path`` of ours."""
        if self._details is not None:
            self._details["tmp-path-listing"] = text_detail(self._listing)
        if self._case_detail is not None:
            details = self._case.getDetails()  # type: ignore[union-attr]
            # After the traceback, next to the listing, as when copied late.
            details[self._case_detail] = details.pop(self._case_detail)
            suffix = self._case_detail[len("tmp-path") :]
            details["tmp-path-listing" + suffix] = text_detail(self._listing)
        elif isinstance(self._case, testtools.TestCase):
            details = self._case.getDetails()
            suffix = ""
            for key, content in details.items():
                if key.startswith("tmp-path") and not key.startswith(
                    "tmp-path-listing"
                ):
                    if next(content.iter_bytes(), None) is self._text:
                        suffix = key[len("tmp-path") :]
                        break
            details["tmp-path-listing" + suffix] = text_detail(self._listing)

    def _listing(self) -> str:
        return listing(self.path)

    def _describe_bytes(self) -> list[bytearray]:
        # One buffer, updated in place: testtools copies the detail before
        # the test ends, and its copy holds this same buffer, so it shows the
        # decision made later.
        state = self._state
        if state != "pending":
            state = f"{state}: {self._why} and retention_policy is {self.policy}"
        elif sys.exc_info()[1] is not None and self._setup_failing():
            keep = self.policy.keeps(True)
            state = (
                f"{'retained' if keep else 'removed'}: its setUp failed and "
                f"retention_policy is {self.policy}"
            )
        else:
            state = "pending: retention is decided when the test ends"
        self._text[:] = f"{self._path}\n{state}\n".encode("utf-8", "replace")
        return [self._text]


def _find_user() -> tuple[unittest.TestCase | None, bool]:
    """Return the test case using the fixture whose ``_setUp`` calls this,
    and whether that case's testtools ``useFixture`` sets it up directly
    (then testtools would copy the fixture's details into the case).
    """
    frame = sys._getframe(2)
    for _ in range(8):
        if frame is None:
            break
        if frame.f_code is _FIXTURE_SETUP:
            # The nearest Fixture.setUp is this fixture's own.
            caller = frame.f_back
            if caller is not None and caller.f_code is _USE_FIXTURE:
                case = caller.f_locals.get("self")
                if isinstance(case, testtools.TestCase):
                    return case, True
            break
        frame = frame.f_back
    return find_case(), False


def _add_unique(details: dict[str, Any], detail: Content) -> str:
    """Add ``detail`` as ``tmp-path`` (or ``tmp-path-N``, as testtools
    names duplicates) to ``details``; return the name.
    """
    name, number = "tmp-path", 0
    while name in details:
        number += 1
        name = f"tmp-path-{number}"
    details[name] = detail
    return name
