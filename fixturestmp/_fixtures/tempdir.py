"""TempDirFixture: a temporary directory kept only when it is worth keeping."""

import unittest
from pathlib import Path
from typing import Any, Literal

import fixtures

from fixturestmp._config import resolve
from fixturestmp._fixtures.directory import _Directory, open_directory
from fixturestmp._fixtures.session import SessionTempFixture
from fixturestmp.policy import RetentionPolicy

__all__ = ["TempDirFixture"]


class TempDirFixture(fixtures.Fixture):
    """A temporary directory in a session, retained when its user fails.

    Set up while a test runs (by ``useFixture``, another fixture, a helper,
    ``enterContext`` or by hand), it takes that test's outcome, learned
    when the test's last cleanup has run. A ``with`` block that raises, an
    error raised while it is cleaned up, and :meth:`mark_failed` count as
    failures too. Where no outcome can be learned it is kept under the
    ``failed`` policy and its detail says ``kept: outcome unknown``.

    :ivar session: The :class:`SessionTempFixture` holding it.
    :ivar policy: The :class:`RetentionPolicy` applied.
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
            running test method's name, else ``tmp``.
        :param session: The session to create it in (default:
            :func:`default_session`).
        :param policy: Retention policy (default: the session's).
        :raises ConfigError: ``policy`` is not valid.
        """
        super().__init__()
        self._name = name
        self._policy_arg = (
            resolve("retention_policy", policy) if policy is not None else None
        )
        self.session: SessionTempFixture | None = session
        self.policy: RetentionPolicy | None = self._policy_arg
        self._directory: _Directory | None = None
        self._mark_next = False

    def _setUp(self) -> None:
        self._directory = open_directory(
            self, name=self._name, session=self.session, policy=self._policy_arg
        )
        self.session, self.policy = self._directory.session, self._directory.policy
        if self._mark_next:
            self._directory.failure = "it was marked failed"
            self._mark_next = False

    @property
    def path(self) -> Path:
        """The directory, an absolute :class:`pathlib.Path` (after setUp)."""
        if self._directory is None:
            raise AttributeError(
                "TempDirFixture.path is set by setUp(): use "
                "self.useFixture(TempDirFixture()).path in a test, or "
                "'with TempDirFixture() as tmp:' and then tmp.path"
            )
        return self._directory.path

    def mark_failed(self) -> None:
        """Count this directory's user as failed: it is kept under ``failed``.

        Called before setUp, it marks the directory setUp makes.
        """
        if self._directory is None or self._directory.decided:
            self._mark_next = True
        else:
            self._directory.failure = "it was marked failed"

    def __exit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> Literal[False]:
        if self._directory is not None:
            if exc_type is None or issubclass(exc_type, unittest.SkipTest):
                self._directory.block = "ended"
            else:
                self._directory.failure = "its with block raised"
        return super().__exit__(exc_type, exc_val, exc_tb)
