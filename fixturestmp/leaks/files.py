"""The ``files`` check: entries the test left in the temporary directory.

A listing of :func:`tempfile.gettempdir` before and one after (each a
``stat`` only, while the directory does not change: see
:mod:`~fixturestmp.leaks.dirlisting`); an entry is new when its name and
inode were not there before. When parallel workers share the temporary
directory, an entry that another worker makes during the test counts too:
the pytest plugin and :mod:`fixturestmp._hooks.pertest` give each checking worker
its own (:func:`own_temp_dir`). ``clean`` removes nothing while another
live process of the session has the same temporary directory: what it
found may be that process's. Or clean up once at the end of the run with
``fixturestmp run --clean-leaks``.
"""

import os
import tempfile
from collections.abc import Callable
from typing import Any

from fixturestmp._store import owners
from fixturestmp._store.basedir import kept_on_purpose
from fixturestmp._store.removal import RemovalError, remove_tree
from fixturestmp._store.treewalk import kind_of
from fixturestmp.leaks.dirlisting import listing
from fixturestmp.leaks.findings import Leak, several
from fixturestmp.leaks.ignored import owned_temp_dir
from fixturestmp.leaks.probe import Probe

__all__ = ["FileProbe", "own_temp_dir"]

_MAX_LISTED = 200


class FileProbe(Probe):
    """Reports entries that the test added to the temporary directory.

    fixturestmp's own base directory (``fixturestmp-of-<user>``) and pytest's
    (``pytest-of-<user>``) are never reported: they are kept on purpose; nor
    is multiprocessing's temporary directory of this process, removed when
    the process exits.

    :ivar clean: Remove the entries the test added, and nothing else.
    :ivar directory: The temporary directory watched (after setUp).
    :ivar found: ``(name, inode)`` of the entries the last :meth:`stop`
        found.
    """

    name = "files"
    options = frozenset({"clean"})

    def __init__(self, clean: bool = False, **kwargs: Any) -> None:
        """Check the options; nothing is measured until setUp.

        Other keyword arguments are those of
        :class:`~fixturestmp.leaks.probe.Probe`.

        :param clean: Remove exactly the entries the test added (symlinks
            are removed, never followed); nothing while another live process
            of the session has the same temporary directory.
        """
        super().__init__(**kwargs)
        self.clean = clean
        self.found: list[tuple[str, int]] = []

    def start(self) -> None:
        self.directory = tempfile.gettempdir()
        self._before = listing(self.directory)

    def stop(self, test_id: str) -> list[Leak]:
        self.found = self._added()
        return self.report(test_id, [name for name, _ in self.found])

    def recheck(self, test_id: str, entries: list[tuple[str, int]]) -> list[Leak]:
        """Report those of ``entries`` (``(name, inode)`` from :attr:`found`)
        that are still in the temporary directory, as leaked by ``test_id``.

        For a finding that may be another fixture's: a fixture of a wider
        scope that the test set up may remove the entries when its scope
        ends (the pytest plugin rechecks then).
        """
        names = []
        for name, inode in entries:
            try:
                if os.lstat(os.path.join(self.directory, name)).st_ino == inode:
                    names.append(name)
            except FileNotFoundError:
                continue
        return self.report(test_id, names)

    def _added(self) -> list[tuple[str, int]]:
        added = sorted(
            (name, inode)
            for name, inode in listing(self.directory) - self._before
            if not kept_on_purpose(name)
        )
        # Gone again by now: a transient entry that leaves nothing behind
        # (e.g. the probe file another process writes the first time it
        # asks tempfile for this directory) is no leak.
        added = [
            (name, inode)
            for name, inode in added
            if os.path.lexists(os.path.join(self.directory, name))
        ]
        if added:
            runtime = owned_temp_dir()
            if runtime is not None:
                added = [
                    (name, inode)
                    for name, inode in added
                    if not _same_dir(os.path.join(self.directory, name), runtime)
                ]
        return added

    def report(self, test_id: str, added: list[str]) -> list[Leak]:
        """Return the leak of the entries named ``added``, removing them if
        :attr:`clean` (and no other worker shares the directory)."""
        if not added:
            return []
        lines = [f"in {self.directory}:"]
        shown = []
        for number, name in enumerate(added):
            kind, size = _describe(os.path.join(self.directory, name))
            shown.append(name + ("/" if kind == "dir" else ""))
            if number < _MAX_LISTED:
                lines.append(f"  {kind:<4} {size:>12}  {shown[-1]}")
        if len(added) > _MAX_LISTED:
            lines.append(f"  ... and {len(added) - _MAX_LISTED} more")
        sharing = self._workers_sharing() if self.clean else []
        if sharing:
            pids = ", ".join(str(pid) for pid in sharing)
            lines.append(
                f"left in place: other processes of this session (pid {pids}) "
                f"use {self.directory} too, so these entries may be theirs; "
                "give each worker its own TMPDIR, or remove leaks once the run "
                "is over with 'fixturestmp run --clean-leaks'"
            )
        elif self.clean:
            lines.append(self._remove(added))
        else:
            lines.append(self.advice())
        what = several("temp entry", "temp entries", shown)
        return [Leak(self.name, test_id, len(added), what, "\n".join(lines))]

    def _workers_sharing(self) -> list[int]:
        """Return the pids of the other live processes of the session whose
        temporary directory is this one (parents, like ``fixturestmp run``,
        excepted).
        """
        import psutil  # Only when there is something to clean.

        from fixturestmp._fixtures.session import default_session

        session = self._session or default_session()
        this = psutil.Process()
        skipped = {this.pid, *(parent.pid for parent in this.parents())}
        sharing = []
        for token in owners.live_owners(session.path):
            pid = int(token.partition("-")[0])
            if pid in skipped:
                continue
            try:
                environ = psutil.Process(pid).environ()
            except psutil.Error:
                sharing.append(pid)  # Cannot tell: it may share.
                continue
            if _same_dir(_temp_dir_in(environ), self.directory):
                sharing.append(pid)
        return sorted(sharing)

    def _remove(self, names: list[str]) -> str:
        failed = []
        for name in names:
            try:
                remove_tree(os.path.join(self.directory, name))
            except RemovalError as error:
                failed.append(str(error))
        if failed:
            return "removed, except:\n  " + "\n  ".join(failed)
        return f"removed all {len(names)}"


def _temp_dir_in(environ: dict[str, str]) -> str:
    """Return the temporary directory :mod:`tempfile` picks in ``environ``
    (its first choices; a process that changes it later is not seen).
    """
    for name in ("TMPDIR", "TEMP", "TMP"):
        if environ.get(name):
            return environ[name]
    return "/tmp"


def _same_dir(one: str, other: str) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def _describe(path: str) -> tuple[str, str]:
    """Return the kind of entry at ``path`` and its size (for a directory,
    how many entries it holds, counted to a limit)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return "gone", "-"
    kind = kind_of(info.st_mode)
    if kind == "link":
        return kind, "-> " + os.readlink(path)
    if kind != "dir":
        return kind, f"{info.st_size} bytes"
    count = 0
    for _, dirnames, filenames in os.walk(path):
        count += len(dirnames) + len(filenames)
        if count >= 10000:
            return "dir", "10000+ entries"
    return "dir", f"{count} entries"


def own_temp_dir(label: str) -> Callable[[], None]:
    """Give this process a temporary directory of its own, in the usual one.

    For a parallel worker (pytest-xdist's, stestr's) whose ``files`` check
    must not see what other workers make: ``TMPDIR`` and
    :data:`tempfile.tempdir` point to a new directory
    ``fixturestmp-<label>-...``, so this process's children use it too.
    Call it before the first test.

    :param label: Names the worker, e.g. ``xdist-gw0``.
    :returns: A function that puts the usual directory back and removes
        the worker's directory if it is empty (else it holds what tests
        leaked, and stays).
    """
    old_env = os.environ.get("TMPDIR")
    old_tempdir = tempfile.tempdir
    path = tempfile.mkdtemp(prefix=f"fixturestmp-{label}-")
    os.environ["TMPDIR"] = path
    tempfile.tempdir = path

    def restore() -> None:
        if old_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = old_env
        tempfile.tempdir = old_tempdir
        try:
            os.rmdir(path)
        except OSError:
            pass  # It holds what tests leaked: reported, and left in place.

    return restore
