"""SessionDir: a session, from its options to its end.

Its parts, one idea each: :class:`~fixturestmp._store.ownedsession.OwnedSession`
makes (or joins) the directory and owns it,
:class:`~fixturestmp._store.pertestdirs.TestDirs` makes and discards the per-test
directories, :func:`~fixturestmp._store.sessionend.end_session` keeps or removes
it and prunes the others. This class holds the options, the manifest and
the list of directories waiting for their test's outcome, and says clearly
when it is used before :meth:`SessionDir.open` or after its end.
"""

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fixturestmp._config import check_all, resolve
from fixturestmp._process.envvars import SESSION_ENV
from fixturestmp._process.systemtmp import system_tempdir
from fixturestmp._store.manifest import ManifestWriter
from fixturestmp._store.newsession import MARKER_NAME, check_basetemp
from fixturestmp._store.ownedsession import OwnedSession
from fixturestmp._store.pertestdirs import TestDirs
from fixturestmp._store.sessionend import PruneWarning, end_session
from fixturestmp._store.trash import Trash
from fixturestmp.errors import (
    ConfigError,
    SessionStateError,
    UnsafeRootError,
    call_each,
    explain,
    message,
)
from fixturestmp.policy import RetentionPolicy

__all__ = ["MARKER_NAME", "PruneWarning", "SessionDir"]


_NEW, _OPEN, _ENDED, _CLOSED = "new", "open", "ended", "closed"


class _Unusable:
    """Stands for a part of the session that does not exist (yet, or any
    more): any use raises :class:`~fixturestmp.errors.SessionStateError`.

    The check costs nothing on the normal path: no state is tested there.
    """

    def __init__(self, why: str) -> None:
        self._why = why

    def __getattr__(self, name: str) -> Any:
        self.refuse(name)

    def refuse(self, name: str) -> None:
        """Raise the error saying why ``name`` cannot be used now."""
        raise SessionStateError(self._why.format(name=name))


_NOT_OPEN = _Unusable(
    "fixturestmp: the session is not set up yet, so it cannot {name}(): call "
    "its setUp() (or open()), or use it in a 'with' block, first"
)
_ENDED_ALREADY = _Unusable(
    "fixturestmp: the session has ended, so it cannot {name}() any more: "
    "make a new session (a session is set up once and ended once)"
)


class SessionDir:
    """A session directory on disk, from its creation to its end.

    The logic behind :class:`~fixturestmp.SessionTempFixture`, without the
    fixtures machinery, so that ``fixturestmp run`` starts fast. At
    :meth:`end` the session ends: with policy ``none``, or ``failed`` and no
    failure, its directory is removed; then sessions beyond
    ``retention_count`` whose owners are dead are pruned, this one counting
    among those kept. :meth:`close` ends it and stops using it.

    :ivar path: The session directory (``None`` before :meth:`open`).
    :ivar failed: Whether any user of the session failed so far.
    :ivar retention_count: Sessions kept after this one ends, counting it.
    :ivar retention_policy: A :class:`~fixturestmp.RetentionPolicy`.
    :ivar root: The temporary root holding the base directory.
    :ivar basetemp: The explicit session directory, if one was given.
    :ivar manifest: The session's :class:`~fixturestmp._store.manifest.ManifestWriter`.
    :ivar trash: The session's :class:`~fixturestmp._store.trash.Trash`.
    :ivar dirs: The session's per-test directories
        (:class:`~fixturestmp._store.pertestdirs.TestDirs`): they are made
        (``mktemp``, ``make_dir``) and discarded there. Used before
        :meth:`open` or after the end, it says so
        (:class:`~fixturestmp.errors.SessionStateError`).
    """

    def __init__(
        self,
        basetemp: str | os.PathLike[str] | None = None,
        *,
        root: str | os.PathLike[str] | None = None,
        retention_count: int | None = None,
        retention_policy: RetentionPolicy | str | None = None,
    ) -> None:
        """Check the options, those of
        :class:`~fixturestmp.SessionTempFixture`; nothing on disk is touched
        until :meth:`open`.

        :raises ConfigError: An option value is not valid.
        """
        given = {
            name
            for name, value in (
                ("retention_policy", retention_policy),
                ("retention_count", retention_count),
                ("basetemp", basetemp),
                ("root", root),
            )
            if value is not None
        }
        check_all(given)
        self.retention_policy: RetentionPolicy = resolve(
            "retention_policy", retention_policy
        )
        self.retention_count: int = resolve("retention_count", retention_count)
        self.basetemp: Path | None = resolve("basetemp", basetemp)
        configured_root = resolve("root", root)
        # Only in the shared default root may an unsafe base directory be
        # worked around; a root the user chose is refused as it is.
        self._default_root = configured_root is None
        if configured_root is None:
            configured_root = Path(system_tempdir())
        self.root: Path = configured_root
        if self.basetemp is not None:
            check_basetemp(self.basetemp, basetemp is not None)
        self.failed = False
        self.path: Path = None  # type: ignore[assignment]
        self._joined: Path | None = None
        self._state = _NEW
        self._owned: OwnedSession = _NOT_OPEN  # type: ignore[assignment]
        self.dirs: TestDirs = _NOT_OPEN  # type: ignore[assignment]
        self.manifest: ManifestWriter = _NOT_OPEN  # type: ignore[assignment]
        self.trash: Trash = _NOT_OPEN  # type: ignore[assignment]
        # Settles a directory whose retention waits for its test's end, if
        # the session ends first: {key: settle}.
        self._pending: dict[int, Callable[[], None]] = {}

    @classmethod
    def join(cls, path: str | os.PathLike[str]) -> "SessionDir":
        """Return a session that joins the existing session at ``path``.

        A joined session records its directories there but never ends the
        session: its owner (e.g. ``fixturestmp run``) does.
        """
        session = cls()
        session._joined = Path(path).absolute()
        if not (session._joined / MARKER_NAME).is_file():
            raise ConfigError(
                f"{SESSION_ENV}: {str(path)!r} from environment variable "
                f"{SESSION_ENV} is not a fixturestmp session directory; unset "
                f"it or run the tests through 'fixturestmp run'"
            )
        return session

    def open(self) -> None:
        """Create (or join) the session directory.

        If it fails, what it did so far is undone before the error is raised.

        :raises SessionStateError: It was opened before.
        """
        if self._state != _NEW:
            raise SessionStateError(
                f"fixturestmp: the session {self.path} was set up before; a "
                f"session is set up once: make a new one"
            )
        try:
            if self._joined is not None:
                owned = OwnedSession.join(self._joined)
            elif self.basetemp is not None:
                owned = OwnedSession.at_basetemp(self.basetemp)
            else:
                owned = OwnedSession.numbered(self.root, self._default_root)
        except OSError as error:
            if isinstance(error, UnsafeRootError) or message(error).startswith(
                "fixturestmp "
            ):
                raise
            where = self._joined or self.basetemp or self.root
            raise explain(error, where, "create the session in") from error
        try:
            dirs = TestDirs(owned, track_created=self.basetemp is not None)
            manifest = ManifestWriter(owned.path, owned.fd)
        except BaseException:
            owned.release()
            raise
        self._owned, self.dirs = owned, dirs
        self.manifest, self.trash = manifest, dirs.trash
        self.path = owned.path
        self._state = _OPEN

    def end(self) -> None:
        """End the session, still using it: nothing else prunes it meanwhile.

        Directories still waiting for their test are settled, the trash is
        drained, the manifest closed; then the directory is removed or kept
        by policy, and other sessions are pruned, this one counting among
        the ``retention_count`` kept. Until :meth:`close`, a process that
        prints what was kept can rely on it being there. Every step runs;
        the first error is raised. Ending again does nothing.

        :raises SessionStateError: It was never opened.
        """
        if self._state == _NEW:
            raise SessionStateError(
                "fixturestmp: the session cannot end: it was never set up"
            )
        if self._state != _OPEN:
            return
        errors: list[BaseException] = []
        try:
            # They record and discard: while the session is still open.
            self._settle_pending()
        except Exception as error:
            errors.append(error)
        dirs, manifest = self.dirs, self.manifest
        self._state = _ENDED
        self.dirs = self.manifest = _ENDED_ALREADY  # type: ignore[assignment]
        for step in (dirs.close, manifest.close):
            try:
                step()
            except Exception as error:
                errors.append(error)
        owned = self._owned
        if not owned.joined and owned.owned_here:
            try:
                end_session(
                    owned,
                    keeps=self.keeps_session(),
                    retention_count=self.retention_count,
                    trash_failed=dirs.trash_failed,
                    created=dirs.created,
                )
            except Exception as error:
                errors.append(error)
        if errors:
            raise errors[0]

    def close(self) -> None:
        """End the session (see :meth:`end`), then stop using it.

        Every step runs; the first error is raised. Closing again does
        nothing.
        """
        if self._state == _CLOSED:
            return
        try:
            self.end()
        finally:
            owned = self._owned
            self._state = _CLOSED
            self._owned = _ENDED_ALREADY  # type: ignore[assignment]
            owned.release()

    def hold(self, key: int, settle: Callable[[], None]) -> None:
        """Register ``settle``, called if the session ends before ``release``.

        A directory whose retention waits for its test case to end is settled
        with what is known when its session ends first.

        :raises SessionStateError: The session is not open.
        """
        if self._state != _OPEN:
            self.dirs.refuse("hold")  # type: ignore[attr-defined]
        self._pending[key] = settle

    def release(self, key: int) -> None:
        """Withdraw what :meth:`hold` registered under ``key``."""
        self._pending.pop(key, None)

    def _settle_pending(self) -> None:
        # Every one is settled, whatever fails; the first error is raised.
        pending, self._pending = self._pending, {}
        call_each(list(pending.values())[::-1])

    def make_shared_dir(
        self, basename: str, numbered: bool = True, exact: bool = False
    ) -> str:
        """Make a directory of the session's own, not one test's; return its
        path as text.

        It lives as long as the session. Its record says so, so that it is
        never taken for a test's directory that lost its record.

        :param basename: As :meth:`TestDirs.make_dir`, with ``numbered`` and
            ``exact``.
        """
        where = self.dirs.make_dir(basename, numbered, exact)
        self.manifest.append(
            {"kind": "shared", "path": where, "pid": os.getpid()}, urgent=False
        )
        return where

    def record(
        self,
        test_id: str,
        path: str | os.PathLike[str],
        outcome: str,
        retained: bool,
        **extra: Any,
    ) -> None:
        """Note a finished directory in the session manifest.

        A removed directory of a test that did not fail is only counted.

        :param outcome: ``passed``, ``failed``, ``skipped`` or ``unknown``.
        :raises SessionStateError: The session is not open.
        """
        if outcome == "failed" or (outcome == "unknown" and retained):
            self.failed = True  # Its session is kept, as it is.
        elif not retained and not extra:
            self.manifest.count_removed()
            return
        self.manifest.append(
            {
                "kind": "test",
                "id": test_id,
                "path": str(path),
                "outcome": outcome,
                "retained": retained,
                "pid": os.getpid(),
                "time": round(time.time(), 3),
                **extra,
            }
        )

    def keeps_session(self) -> bool:
        """Return whether the retention policy keeps the session directory."""
        return self.retention_policy.keeps(self.failed)
