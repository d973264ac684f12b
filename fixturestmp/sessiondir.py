"""SessionDir: a session directory on disk, from creation to end."""

import errno
import os
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fixturestmp import owners
from fixturestmp.basedir import BaseDir, open_base_dir
from fixturestmp.childpath import child_path
from fixturestmp.config import check_all, resolve
from fixturestmp.creation import (
    MARKER_NAME,
    check_basetemp,
    create_numbered,
    write_marker,
)
from fixturestmp.errors import ConfigError, UnsafeRootError, explain, message
from fixturestmp.manifest import MANIFEST_NAME, ManifestWriter, test_record_line
from fixturestmp.naming import safe_name
from fixturestmp.policy import RetentionPolicy
from fixturestmp.pruning import (
    claimed,
    prune,
    trash_name,
)
from fixturestmp.removal import RemovalError, remove_entry
from fixturestmp.trash import TRASH_DIR, Trash, delete_if_small

__all__ = ["MARKER_NAME", "SESSION_ENV", "PruneWarning", "SessionDir"]

SESSION_ENV = "FIXTURESTMP_SESSION"
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_OWN_ENTRIES = {MARKER_NAME, owners.OWNERS_DIR, MANIFEST_NAME, TRASH_DIR}


class PruneWarning(UserWarning):
    """An old session or trash could not be removed completely."""


class SessionDir:
    """A session directory on disk, from its creation to its end.

    The logic behind :class:`~fixturestmp.SessionTempFixture`, without the
    fixtures machinery, so that ``fixturestmp run`` starts fast. At
    :meth:`close` the session ends: with policy ``none``, or ``failed`` and no
    failure, its directory is removed; then sessions beyond
    ``retention_count`` whose owners are dead are pruned.

    :ivar path: The session directory (after setUp).
    :ivar failed: Whether any user of the session failed so far.
    :ivar retention_count: Sessions kept after this one ends, counting it.
    :ivar retention_policy: A :class:`~fixturestmp.RetentionPolicy`.
    :ivar root: The temporary root holding the base directory.
    """

    def __init__(
        self,
        basetemp: str | os.PathLike[str] | None = None,
        *,
        root: str | os.PathLike[str] | None = None,
        retention_count: int | None = None,
        retention_policy: RetentionPolicy | str | None = None,
    ) -> None:
        """Check the options; nothing on disk is touched until :meth:`open`.

        :param basetemp: Use this directory as the session directory. It must
            be missing, empty, or made by fixturestmp; it is never pruned.
        :param root: The temporary root (default: configuration, then
            :func:`tempfile.gettempdir`).
        :param retention_count: Sessions kept at the end (default 3).
        :param retention_policy: ``all``, ``failed`` (default) or ``none``.
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
            configured_root = Path(tempfile.gettempdir()).absolute()
        self.root: Path = configured_root
        if self.basetemp is not None:
            check_basetemp(self.basetemp, basetemp is not None)
        self.failed = False
        self.path: Path = None  # type: ignore[assignment]
        self._joined: Path | None = None
        self._base: BaseDir | None = None
        # The session directory, open: everything in it is made, moved and
        # removed relative to it, never through its path.
        self._fd = -1
        # Withdraws this process's owner record: the very last step, so
        # that no other session prunes this one while it is still ending
        # and reporting what it kept.
        self._release: Callable[[], None] | None = None

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
        """
        try:
            self._open()
        except BaseException as error:
            try:
                self.close()
            except Exception:
                pass  # The first error is the one to report.
            if (
                isinstance(error, OSError)
                and not isinstance(error, UnsafeRootError)
                and not message(error).startswith("fixturestmp ")
            ):
                where = self.path or self.basetemp or self.root
                raise explain(error, where, "create the session in") from error
            raise

    def _open(self) -> None:
        self._cleanups: list[Callable[[], None]] = []
        self._names: dict[str, int] = {}
        # Only an explicit basetemp needs to know: it is never removed whole.
        self._created: set[str] | None = None
        self._pending: dict[int, Callable[[], None]] = {}
        self._trash_failed = False
        self._lock = threading.Lock()
        self._token = owners.owner_token()
        self._pid = os.getpid()
        if self._joined is not None:
            self.path = self._joined
            self._fd = os.open(self.path, _DIR_FLAGS)
            self._release = self._remove_owner
            owners.add_owner(self.path, self._fd)
        elif self.basetemp is not None:
            self._created = set()
            self.path = self.basetemp
            check_basetemp(self.path, True)
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._fd = os.open(self.path, _DIR_FLAGS)
            self._release = self._remove_owner
            self._cleanups.append(self._finish)
            write_marker(self.path, self._fd)
            owners.add_owner(self.path, self._fd)
        else:
            self._base = open_base_dir(self.root, fallback=self._default_root)
            self._cleanups.append(self._base.close)
            self.path, self._fd = create_numbered(self._base)
            self._release = self._remove_owner
            self._cleanups.append(self._finish)
        self._path_str = str(self.path)
        self.manifest = ManifestWriter(self.path, self._fd)
        self._cleanups.append(self.manifest.close)
        self.trash = Trash(self.path, self._fd)
        self._cleanups.append(self._close_trash)
        self._cleanups.append(self._settle_pending)

    def close(self) -> None:
        """End the session (see :meth:`end`), then stop using it.

        Every step runs; the first error is raised.
        """
        try:
            self.end()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()

    def end(self) -> None:
        """End the session, still using it: nothing else prunes it meanwhile.

        Its directory is removed or kept by policy, then other sessions are
        pruned; this one counts among the ``retention_count`` kept. Until
        :meth:`close`, a process that prints what was kept can rely on it
        being there. Every step runs; the first error is raised.
        """
        errors: list[BaseException] = []
        cleanups, self._cleanups = self._cleanups, []
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception as error:
                errors.append(error)
        if errors:
            raise errors[0]

    def _remove_owner(self) -> None:
        try:
            if os.getpid() == self._pid:  # A forked child holds no record.
                owners.remove_owner(self.path, self._token, self._fd)
        finally:
            if self._fd >= 0:
                os.close(self._fd)
            self._fd = -1

    def discard(self, path: str | os.PathLike[str]) -> None:
        """Remove ``path``, made by :meth:`mktemp`, off the caller's time.

        A small directory is deleted at once; a bigger one is renamed into
        the session's trash and deleted by a background thread, which the
        session's end waits for.
        """
        name = os.path.basename(path)
        if not delete_if_small(name, self._fd):
            self.trash.discard(name)
        if self._created:
            self._created.discard(os.path.basename(path))

    def _close_trash(self) -> None:
        errors = self.trash.close()
        self._trash_failed = bool(errors)
        if errors:
            raise RemovalError(
                errno.ENOTEMPTY,
                "fixturestmp could not delete some test directories: "
                + "; ".join(errors),
            )

    def hold(self, key: int, settle: Callable[[], None]) -> None:
        """Register ``settle``, called if the session ends before ``release``.

        A directory whose retention waits for its test case to end is settled
        with what is known when its session ends first.
        """
        self._pending[key] = settle

    def release(self, key: int) -> None:
        """Withdraw what :meth:`hold` registered under ``key``."""
        self._pending.pop(key, None)

    def _settle_pending(self) -> None:
        while self._pending:
            _, settle = self._pending.popitem()
            settle()

    def mktemp(self, basename: str, numbered: bool = True) -> Path:
        """Create a new directory in the session and return its path.

        :param basename: The directory's name, made safe (``\\W`` becomes
            ``_``, cut to 30 characters).
        :param numbered: Append the lowest number that makes the name new
            (``name0``, ``name1``); otherwise use the name as it is.
        :raises FileExistsError: ``numbered`` is false and the name exists.
        """
        return self.path_of(self.make_dir(basename, numbered))

    def make_dir(self, basename: str, numbered: bool = True) -> str:
        """Like :meth:`mktemp`, returning the path as a string.

        Cheaper, for callers that make a directory per test.
        """
        name = safe_name(basename)
        if not numbered:
            _make_test_dir(name, self._fd, self._path_str)
        else:
            with self._lock:
                number = self._names.get(name, 0)
                while True:
                    numbered_name = f"{name}{number}"
                    number += 1
                    try:
                        _make_test_dir(numbered_name, self._fd, self._path_str)
                        break
                    except FileExistsError:
                        continue
                self._names[name] = number
            name = numbered_name
        path = f"{self._path_str}/{name}"
        if self._created is not None:
            self._created.add(path[len(self._path_str) + 1 :])
        return path

    def path_of(self, path: str) -> Path:
        """Return the :class:`~pathlib.Path` of a directory that
        :meth:`make_dir` returned.
        """
        return child_path(self.path, path[len(self._path_str) + 1 :])

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

        :param outcome: ``passed``, ``failed`` or ``skipped``.
        """
        if outcome == "failed":
            self.failed = True
        elif not retained and not extra:
            self.count_removed()
            return
        if extra:
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
        else:
            self.manifest.append_line(
                test_record_line(
                    test_id, str(path), outcome, retained, os.getpid(), time.time()
                )
            )

    def count_removed(self) -> None:
        """Count a removed directory of a test that passed or was skipped."""
        self.manifest.count_removed()

    def keeps_session(self) -> bool:
        """Return whether the session directory survives its end."""
        return self.retention_policy.keeps(self.failed)

    def _finish(self) -> None:
        if os.getpid() != self._pid:
            return  # A forked child must not end its parent's session.
        # Every step is tried, so that one undeletable file does not stop
        # the pruning of other sessions; the first failure is raised.
        failures: list[OSError] = []
        # This process's own record stays until close(): only other users
        # (workers that outlive the command) keep the session alive.
        live = any(t != self._token for t in owners.live_owners(self.path, self._fd))
        kept = self.keeps_session() and (
            self._base is None or self.retention_count >= 1
        )
        removing = self._base is not None and not live and not kept
        if not self._trash_failed and not live and not removing:
            # Left by workers that died before draining their own trash (a
            # session about to be removed whole takes it along).
            _attempt(failures, remove_entry, self._fd, TRASH_DIR,
                     shown=str(self.path / TRASH_DIR))  # fmt: skip
        if self._base is None:
            self._finish_basetemp(failures)
        else:
            name = trash_name(self.path.name)
            errors: list[str] = []
            with claimed([name]):  # A failure is reported once, not retried.
                if removing:
                    _attempt(failures, self._remove_own, name)
                # This session is not pruned (and is live until its record
                # is withdrawn, last): it takes one of the places.
                others = self.retention_count - (0 if removing else 1)
                _attempt(failures, prune, self._base, max(others, 0), errors,
                         None if removing else self.path)  # fmt: skip
            for error in errors:
                # Not this session's failure, and raising would fail every
                # later session too: say it, every time, until it is fixed.
                warnings.warn(f"fixturestmp: {error}", PruneWarning, stacklevel=2)
        if failures:
            raise failures[0]

    def _remove_own(self, name: str) -> None:
        assert self._base is not None
        with self._base.locked():
            os.rename(self.path.name, name, src_dir_fd=self._base.fd,
                      dst_dir_fd=self._base.fd)  # fmt: skip
        remove_entry(self._base.fd, name, shown=str(self.path))

    def _finish_basetemp(self, failures: list[OSError]) -> None:
        # Never removed wholesale: remove only what fixturestmp made.
        if self.keeps_session():
            return
        created = self._created or set()
        for name in sorted(created | _OWN_ENTRIES - {MARKER_NAME}):
            _attempt(failures, remove_entry, self._fd, name,
                     shown=str(self.path / name))  # fmt: skip
        created.clear()
        # The marker says the directory is fixturestmp's: it goes only with
        # the last entry, or the next session would refuse what is left.
        try:
            if os.listdir(self._fd) == [MARKER_NAME]:
                os.unlink(MARKER_NAME, dir_fd=self._fd)
        except OSError as error:
            raise explain(error, self.path, "remove the marker from") from error


def _attempt(
    failures: list[OSError], step: Callable[..., Any], *args: Any, **kwargs: Any
) -> None:
    try:
        step(*args, **kwargs)
    except OSError as error:
        failures.append(error)


def _make_test_dir(name: str, session_fd: int, session: str) -> None:
    try:
        os.mkdir(name, 0o700, dir_fd=session_fd)
    except FileExistsError:
        raise
    except OSError as error:
        path = f"{session}/{name}"
        raise explain(error, path, "create the test directory") from error
