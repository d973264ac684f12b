"""The end of a session: keep or remove it, then prune the others.

Every step is tried, so that one undeletable file does not stop the pruning
of other sessions; the first failure is raised. Pruning problems that are
not this session's own are warned about (:class:`PruneWarning`), every
time, until they are fixed: raising would fail every later session too.
"""

import os
import warnings
from collections.abc import Callable
from typing import Any

from fixturestmp._store import owners
from fixturestmp._store.manifest import MANIFEST_NAME
from fixturestmp._store.newsession import MARKER_NAME
from fixturestmp._store.ownedsession import OwnedSession
from fixturestmp._store.pruning import claimed, prune, trash_name
from fixturestmp._store.removal import remove_entry
from fixturestmp._store.trash import TRASH_DIR
from fixturestmp.errors import explain, names_in

__all__ = ["PruneWarning", "end_session"]

_OWN_ENTRIES = {MARKER_NAME, owners.OWNERS_DIR, MANIFEST_NAME, TRASH_DIR}


class PruneWarning(UserWarning):
    """An old session or trash could not be removed completely."""


def end_session(
    owned: OwnedSession,
    *,
    keeps: bool,
    retention_count: int,
    trash_failed: bool,
    created: set[str] | None,
) -> None:
    """End the session ``owned`` (still in use: its record is withdrawn later).

    A numbered session is removed unless ``keeps`` and ``retention_count``
    >= 1, or other processes still use it; then other ended sessions beyond
    ``retention_count`` are pruned, this one counting among those kept. An
    explicit basetemp loses only what fixturestmp made in it (``created``),
    when ``keeps`` is false.

    :param keeps: Whether the retention policy keeps the session.
    :param trash_failed: The trash could not delete some trees: leave them
        where the error said they are.
    """
    failures: list[OSError] = []
    live = owned.others_live()
    kept = keeps and (owned.base is None or retention_count >= 1)
    removing = owned.base is not None and not live and not kept
    if not trash_failed and not live and not removing:
        # Left by workers that died before draining their own trash (a
        # session about to be removed whole takes it along).
        _attempt(failures, remove_entry, owned.fd, TRASH_DIR,
                 shown=str(owned.path / TRASH_DIR))  # fmt: skip
    if owned.base is None:
        if not keeps:
            _end_basetemp(owned, created or set(), failures)
    else:
        name = trash_name(owned.path.name)
        errors: list[str] = []
        with claimed([name]):  # A failure is reported once, not retried.
            if removing:
                _attempt(failures, _remove_own, owned, name)
            # This session is not pruned (and is live until its record is
            # withdrawn, last): it takes one of the places.
            others = retention_count - (0 if removing else 1)
            _attempt(failures, prune, owned.base, max(others, 0), errors,
                     None if removing else owned.path)  # fmt: skip
        for error in errors:
            warnings.warn(f"fixturestmp: {error}", PruneWarning, stacklevel=3)
    if failures:
        raise failures[0]


def _remove_own(owned: OwnedSession, name: str) -> None:
    assert owned.base is not None
    with owned.base.locked(), names_in(owned.base.path):
        os.rename(owned.path.name, name, src_dir_fd=owned.base.fd,
                  dst_dir_fd=owned.base.fd)  # fmt: skip
    # Named where what cannot be removed is left: under its garbage name.
    remove_entry(owned.base.fd, name, shown=str(owned.base.path / name))


def _end_basetemp(
    owned: OwnedSession, created: set[str], failures: list[OSError]
) -> None:
    # Never removed wholesale: remove only what fixturestmp made.
    for name in sorted(created | _OWN_ENTRIES - {MARKER_NAME}):
        _attempt(failures, remove_entry, owned.fd, name,
                 shown=str(owned.path / name))  # fmt: skip
    created.clear()
    # The marker says the directory is fixturestmp's: it goes only with the
    # last entry, or the next session would refuse what is left.
    try:
        if os.listdir(owned.fd) == [MARKER_NAME]:
            os.unlink(MARKER_NAME, dir_fd=owned.fd)
    except OSError as error:
        failures.append(explain(error, owned.path, "remove the marker from"))


def _attempt(
    failures: list[OSError], step: Callable[..., Any], *args: Any, **kwargs: Any
) -> None:
    try:
        step(*args, **kwargs)
    except OSError as error:
        failures.append(error)
