"""SessionTempFixture: one numbered directory shared by many temporary dirs."""

import atexit
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fixtures

from fixturestmp._process import forks
from fixturestmp._process.envvars import SESSION_ENV
from fixturestmp._store.manifest import ManifestWriter
from fixturestmp._store.sessiondir import PruneWarning, SessionDir
from fixturestmp._store.trash import Trash
from fixturestmp.errors import message
from fixturestmp.policy import RetentionPolicy

__all__ = [
    "SESSION_ENV",
    "PruneWarning",
    "SessionTempFixture",
    "default_session",
    "has_default_session",
    "set_default_session",
]


class SessionTempFixture(fixtures.Fixture):
    """One numbered session directory shared by many temporary directories.

    At cleanUp the session ends: with policy ``none``, or ``failed`` and no
    failure, its directory is removed; then dead sessions beyond
    ``retention_count`` are pruned (a session in use by a live process never
    is).

    :ivar path: The session directory (after setUp).
    :ivar failed: Whether any user of the session failed so far.
    :ivar retention_count: Sessions kept after this one ends, counting it.
    :ivar retention_policy: A :class:`~fixturestmp.RetentionPolicy`.
    :ivar root: The temporary root holding the base directory.
    :ivar sessiondir: The :class:`~fixturestmp._store.sessiondir.SessionDir`
        this fixture wraps, which the per-test path
        (:mod:`fixturestmp._fixtures.tempdir`) uses directly.
    """

    def __init__(
        self,
        basetemp: str | os.PathLike[str] | None = None,
        *,
        root: str | os.PathLike[str] | None = None,
        retention_count: int | None = None,
        retention_policy: RetentionPolicy | str | None = None,
    ) -> None:
        """Check the options; nothing on disk is touched until setUp.

        :param basetemp: Use this directory as the session directory. It must
            be missing, empty, or made by fixturestmp; it is never pruned.
        :param root: The temporary root (default: configuration, then the
            system's temporary directory as the process started with it).
        :param retention_count: Sessions kept at the end (default 3).
        :param retention_policy: ``all``, ``failed`` (default) or ``none``.
        :raises ConfigError: An option value is not valid.
        """
        super().__init__()
        self.sessiondir = SessionDir(
            basetemp,
            root=root,
            retention_count=retention_count,
            retention_policy=retention_policy,
        )

    @classmethod
    def join(cls, path: str | os.PathLike[str]) -> "SessionTempFixture":
        """Return a fixture that joins the existing session at ``path``.

        A joined session records its directories there but never ends the
        session: its owner (e.g. ``fixturestmp run``) does.
        """
        session = cls.__new__(cls)
        fixtures.Fixture.__init__(session)
        session.sessiondir = SessionDir.join(path)
        return session

    def _setUp(self) -> None:
        self.sessiondir.open()
        self.addCleanup(self.sessiondir.close)

    path = property(lambda self: self.sessiondir.path)
    root = property(lambda self: self.sessiondir.root)
    basetemp = property(lambda self: self.sessiondir.basetemp)
    retention_count = property(lambda self: self.sessiondir.retention_count)
    retention_policy = property(lambda self: self.sessiondir.retention_policy)
    manifest: ManifestWriter = property(lambda self: self.sessiondir.manifest)  # type: ignore[assignment]
    trash: Trash = property(lambda self: self.sessiondir.trash)  # type: ignore[assignment]

    @property
    def failed(self) -> bool:
        """Whether any user of the session failed so far."""
        return self.sessiondir.failed

    @failed.setter
    def failed(self, value: bool) -> None:
        self.sessiondir.failed = value

    def mktemp(self, basename: str, numbered: bool = True) -> Path:
        """Create a new directory in the session and return its path.

        :param basename: The directory's name, made safe (``\\W`` becomes
            ``_``, cut to 30 characters).
        :param numbered: Append the lowest number that makes the name new
            (``name0``, ``name1``); otherwise use the name as it is.
        :raises FileExistsError: ``numbered`` is false and the name exists.
        """
        dirs = self.sessiondir.dirs
        return dirs.path_of(self.sessiondir.make_shared_dir(basename, numbered))

    def make_dir(self, basename: str, numbered: bool = True) -> str:
        """Like :meth:`mktemp`, returning the path as text: no
        :class:`~pathlib.Path` is made for a caller that needs none.
        """
        return self.sessiondir.make_shared_dir(basename, numbered)

    def discard(self, path: str | os.PathLike[str]) -> None:
        """Remove ``path``, made by :meth:`mktemp`, off the caller's time."""
        self.sessiondir.dirs.discard(path)

    def record(
        self,
        test_id: str,
        path: str | os.PathLike[str],
        outcome: str,
        retained: bool,
        **extra: Any,
    ) -> None:
        """Note a finished directory in the session manifest.

        A removed directory of a test that did not fail is only counted
        (``removed`` in ``fixturestmp ls --json``). A directory kept for a
        test whose outcome is ``unknown`` keeps the session, as a failure
        does, and ``fixturestmp run`` lists it like one.

        :param outcome: ``passed``, ``failed``, ``skipped`` or ``unknown``.
        """
        self.sessiondir.record(test_id, path, outcome, retained, **extra)

    def hold(self, key: int, settle: Callable[[], None]) -> None:
        """Register ``settle``, called if the session ends before ``release``."""
        self.sessiondir.hold(key, settle)

    def release(self, key: int) -> None:
        """Withdraw what :meth:`hold` registered under ``key``."""
        self.sessiondir.release(key)

    def keeps_session(self) -> bool:
        """Return whether the session directory survives its end."""
        return self.sessiondir.keeps_session()


_default: SessionTempFixture | None = None
_default_lock = threading.Lock()
# In a forked child: the session it joins, its parent's default session.
_parents_session: str | None = None


def default_session() -> SessionTempFixture:
    """Return the process-wide session, creating it on first use.

    When ``FIXTURESTMP_SESSION`` names a session directory (as set by
    ``fixturestmp run``) the process joins it and leaves ending it to its
    owner; otherwise the session is ended at interpreter exit. A forked child
    joins its parent's session.
    """
    global _default
    session = _default
    if session is not None:
        return session  # Once per test: no lock for the common case.
    with _default_lock:
        session = _default
        if session is not None:
            return session
        joined = os.environ.get(SESSION_ENV) or _parents_session
        if joined:
            session = SessionTempFixture.join(joined)
        else:
            session = SessionTempFixture()
        session.setUp()
        atexit.register(_end_default, session)
        _default = session
        return session


def set_default_session(
    session: SessionTempFixture | None,
) -> SessionTempFixture | None:
    """Make ``session``, set up and ended by its caller, the process-wide one.

    For an owner with a life of its own (pytest's, under the ``tmp_path``
    plugin): :func:`default_session` returns it, and nothing ends it at
    exit. ``None`` withdraws it; a session made later by
    :func:`default_session` is its own again.

    :return: The one it replaces, for the caller to put back.
    """
    global _default
    with _default_lock:
        previous, _default = _default, session
    return previous


def has_default_session() -> bool:
    """Return whether :func:`default_session` would return a session that
    exists already: made here, or its parent's, which a forked child joins.
    """
    return _default is not None or _parents_session is not None


def _end_default(session: SessionTempFixture) -> None:
    try:
        session.cleanUp()
    except Exception as error:
        errors = [error]
        if isinstance(error, fixtures.MultipleExceptions):
            errors = [info[1] for info in error.args]
        if not all(isinstance(e, OSError) for e in errors):
            raise  # A bug: its traceback is what helps.
        # At exit a traceback would bury the one line that matters:
        # which path could not be removed, and why.
        for each in errors:
            print(
                f"fixturestmp: the session {session.path} did not end "
                f"cleanly: {message(each)}",  # type: ignore[arg-type]
                file=sys.stderr,
            )


@forks.after_fork_in_child
def _leave_parents_session() -> None:
    # The parent ends its default session; a forked child joins it anew
    # on first use, as a process of its own.
    global _default, _default_lock, _parents_session
    if _default is not None:
        _parents_session = str(_default.path)
        _default = None
        atexit.unregister(_end_default)
    _default_lock = threading.Lock()  # The parent's may be held by a thread.
