"""Which session a command such as ``collect`` or ``report`` is about."""

import os
from pathlib import Path

from fixturestmp._store.inventory import SessionInfo, open_base, read_session
from fixturestmp._store.manifest import MANIFEST_NAME
from fixturestmp._store.pruning import list_sessions, session_number
from fixturestmp.errors import ConfigError

__all__ = ["Selection", "select_session"]


class Selection:
    """A session, and the tests of it that were asked for.

    :ivar info: The session as read from its manifest.
    :ivar pattern: Only tests whose id contains this were asked for; None
        for all of them.
    """

    def __init__(self, info: SessionInfo, pattern: str | None = None) -> None:
        self.info = info
        self.pattern = pattern

    def wanted(self, test_id: str) -> bool:
        """Return whether the test ``test_id`` was asked for."""
        return self.pattern is None or self.pattern in test_id


def select_session(
    selector: str | None,
    root: str | os.PathLike[str] | None = None,
    option: str = "--session",
) -> Selection | None:
    """Return the session ``selector`` names; None if there is no such one.

    :param selector: None for the newest session; a number N for ``run-N``;
        a path to a session directory (one holding a manifest, e.g. an
        explicit ``basetemp``); otherwise PATTERN, part of a test id: the
        newest session with a test whose id contains it, and only those tests.
    :param root: The temporary root (default: configured).
    :param option: How to name ``selector`` in errors.
    :raises ConfigError: No session has the number ``selector``, or the path
        is not a session directory.
    """
    if selector is not None and os.sep in selector:
        return Selection(_by_path(Path(selector), option))
    base = open_base(root)
    if base is None:
        if selector is not None and selector.strip().isdigit():
            raise ConfigError(
                f"{option} {selector}: there are no sessions at all (the "
                f"temporary root has no fixturestmp directory); run the tests "
                f"first, or give --root"
            )
        return None
    try:
        sessions = list_sessions(base)
        where = base.path
    finally:
        base.close()
    if selector is not None and selector.strip().isdigit():
        number = int(selector)
        if number not in sessions:
            known = ", ".join(str(n) for n in sorted(sessions)) or "none"
            raise ConfigError(
                f"{option} {selector}: there is no session run-{number} in "
                f"{where} (sessions there: {known}); give one of those numbers"
            )
        return Selection(read_session(sessions[number], number))
    for number in sorted(sessions, reverse=True):
        info = read_session(sessions[number], number)
        if selector is None:
            return Selection(info)
        if any(selector in test["id"] for test in info.tests):
            return Selection(info, selector)
    return None


def _by_path(path: Path, option: str) -> SessionInfo:
    path = path.expanduser().absolute()
    try:
        usable = not path.is_symlink() and (path / MANIFEST_NAME).is_file()
    except OSError as error:
        raise ConfigError(
            f"{option} {path}: cannot be read ({error.strerror}); give a "
            f"session directory you may read"
        ) from None
    if not usable:
        raise ConfigError(
            f"{option} {path}: not a session directory (no {MANIFEST_NAME} in "
            f"it); give a session number, a session directory or part of a "
            f"test id"
        )
    return read_session(path, session_number(path.name))
