"""``fixturestmp run``: one session around a whole command and its workers.

stestr has no start- or end-of-run hook, so, like oslo.concurrency's
``lockutils-wrapper``, a wrapper makes the session, exports it in
``FIXTURESTMP_SESSION`` for every worker to join, runs the command, and ends
the session from the command's exit status.
"""

import os
import signal
import subprocess
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import TextIO

from fixturestmp._cli.tempscan import TempEntry, TempSnapshot
from fixturestmp._hooks.startup import HOOK_LOADED
from fixturestmp._process.envvars import ADOPT_ENV, PER_TEST_ENV, SESSION_ENV, env_name
from fixturestmp._store.inventory import SessionInfo
from fixturestmp._store.runend import (
    holds_evidence,
    read_run,
    session_lines,
    why_removed,
)
from fixturestmp._store.sessiondir import SessionDir
from fixturestmp.errors import message

__all__ = [
    "LEAK_EXIT_STATUS",
    "RunOutcome",
    "kept_paths",
    "print_summary",
    "run_command",
]

#: Exit status of ``fixturestmp run --fail-on-leak`` when the command passed
#: but leaked.
LEAK_EXIT_STATUS = 3

_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class RunOutcome:
    """What ``fixturestmp run`` saw.

    :ivar status: The exit status to return.
    :ivar session: The session as read back at the end.
    :ivar temp_leaks: Entries the command left in the temporary directory.
    :ivar removed: Whether those entries were removed.
    :ivar errors: Why some could not be removed.
    :ivar session_errors: What the end of the session could not do.
    :ivar unrecorded: Kept test directories without a manifest record.
    :ivar session_removed: Why the session directory is gone, if it is.
    :ivar unchecked: The ``leak_checks`` that applied to no test.
    :ivar unadopted: Adoption was asked for and no process of the command
        loaded the start-up hook.
    """

    # A plain class: dataclasses would add to the wrapper's start-up time.
    def __init__(self, status: int, session: SessionInfo | None = None) -> None:
        self.status = status
        self.session = session
        self.temp_leaks: list[TempEntry] = []
        self.removed = False
        self.errors: list[str] = []
        self.session_errors: list[str] = []
        self.unrecorded: list[str] = []
        self.session_removed: str | None = None
        self.unchecked: tuple[str, ...] = ()
        self.unadopted = False


def run_command(
    command: Sequence[str],
    session: SessionDir,
    *,
    check_leaks: bool = False,
    clean_leaks: bool = False,
    fail_on_leak: bool = False,
    adopt: bool = False,
    leak_checks: tuple[str, ...] = (),
    cwd: Path | None = None,
    report: Callable[[RunOutcome], None] | None = None,
) -> RunOutcome:
    """Run ``command`` inside ``session`` and end the session by its status.

    SIGINT, SIGTERM and SIGHUP are forwarded to the command's process group;
    the session is ended whatever happens.

    :param report: Called with the outcome while this process still uses
        the session, so that no other session ending meanwhile prunes what
        it reports as kept.
    """
    snapshot = TempSnapshot() if (check_leaks or clean_leaks) else None
    session.open()  # Its errors stop the run before anything else is done.
    try:
        problems: list[str] = []
        try:
            env = _child_environment(session, adopt, leak_checks)
            status = _run(command, env, cwd)
            info = read_run(session)
            unadopted = adopt and not (session.path / HOOK_LOADED).exists()
            unrecorded = info.unrecorded
            # Evidence keeps the session, whatever the exit status.
            session.failed = status != 0 or holds_evidence(info)
        finally:
            problems = _attempt(session.end)
        outcome = RunOutcome(status, info)
        outcome.session_errors = problems
        if not session.path.is_dir():
            outcome.session_removed = (
                why_removed(session) or "removed when the run ended"
            )
        outcome.unrecorded = unrecorded
        outcome.unadopted = unadopted
        if leak_checks and not info.checked:
            outcome.unchecked = leak_checks
        if snapshot is not None:
            outcome.temp_leaks = snapshot.new_entries()
            if clean_leaks:
                outcome.errors = TempSnapshot.remove(outcome.temp_leaks)
                outcome.removed = True
        leaked = bool(outcome.temp_leaks or info.leaks)
        if fail_on_leak and leaked and status == 0:
            outcome.status = LEAK_EXIT_STATUS
        if report is not None:
            report(outcome)
    finally:
        for problem in _attempt(session.close):
            # After the report: said on its own.
            print(f"fixturestmp: {problem}", file=sys.stderr)
    return outcome


def _attempt(step: Callable[[], None]) -> list[str]:
    """Run ``step``; return what went wrong, errors and warnings, as text.

    The end of a session cannot change the command's exit status: what it
    could not do is said in the summary instead.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            step()
        except OSError as error:
            said = [message(error)]
        else:
            said = []
    return said + [str(w.message).removeprefix("fixturestmp: ") for w in caught]


def _child_environment(
    session: SessionDir, adopt: bool, leak_checks: tuple[str, ...]
) -> dict[str, str]:
    env = dict(os.environ)
    env[SESSION_ENV] = str(session.path)
    env[env_name("retention_policy")] = str(session.retention_policy)
    # What a worker's tmp-path detail says depends on it too.
    env[env_name("retention_count")] = str(session.retention_count)
    env[env_name("root")] = str(session.root)
    if adopt:
        env[ADOPT_ENV] = "1"
    if leak_checks:
        # Every testtools and unittest test of the run is checked.
        env[env_name("leak_checks")] = ",".join(leak_checks)
        env[PER_TEST_ENV] = "1"
    return env


def _start_group(
    command: Sequence[str], env: dict[str, str], cwd: Path | None
) -> subprocess.Popen[bytes]:
    # The child leads a new process group, which signals reach as a whole.
    # Popen's process_group is Python 3.11; on 3.10 the child makes the
    # same setpgid(0, 0) call itself before exec.
    if sys.version_info >= (3, 11):
        return subprocess.Popen(list(command), env=env, cwd=cwd, process_group=0)
    return subprocess.Popen(list(command), env=env, cwd=cwd, preexec_fn=os.setpgrp)


def _run(command: Sequence[str], env: dict[str, str], cwd: Path | None) -> int:
    try:
        child = _start_group(command, env, cwd)
    except FileNotFoundError:
        print(f"fixturestmp run: {command[0]}: command not found", file=sys.stderr)
        return 127
    except PermissionError:
        print(f"fixturestmp run: {command[0]}: permission denied", file=sys.stderr)
        return 126
    received: list[int] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        # A second signal means "now": kill the whole group.
        sent = signal.SIGKILL if received else signum
        received.append(signum)
        try:
            os.killpg(child.pid, sent)
        except ProcessLookupError:
            pass

    previous = {signum: signal.signal(signum, forward) for signum in _FORWARDED}
    try:
        while True:
            try:
                status = child.wait()
                break
            except InterruptedError:  # pragma: no cover - PEP 475 retries
                continue
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    # As a shell reports a command killed by a signal.
    return 128 - status if status < 0 else status


def print_summary(outcome: RunOutcome, stream: TextIO) -> None:
    """Print one line per kept directory and per leak; nothing if all is well."""
    info = outcome.session
    lines = [] if info is None else session_lines(info, outcome.session_removed)
    for entry in outcome.temp_leaks:
        fate = "removed" if outcome.removed else "left behind"
        lines.append(f"LEAKED temp {entry.describe()}: {fate}")
    for error in outcome.errors:
        lines.append(f"fixturestmp: could not clean a leak: {error}")
    for problem in outcome.session_errors:
        lines.append(f"fixturestmp: {problem}")
    if outcome.unadopted:
        lines.append(
            "fixturestmp: --adopt: no process of the command loaded fixturestmp's "
            "start-up hook, so fixtures.TempDir was not adopted: install "
            "fixturestmp in the environment that runs the tests, and let its "
            "FIXTURESTMP_* variables through (tox: add fixturestmp to deps "
            "and FIXTURESTMP_* to pass_env)"
        )
    if outcome.unchecked:
        lines.append(
            f"fixturestmp: leak_checks ({','.join(outcome.unchecked)}) applied to "
            "no test: they run around testtools and unittest tests in Python "
            "processes of the command; for pytest use --fixturestmp-leaks"
        )
    for line in lines:
        print(line, file=stream)


def kept_paths(info: SessionInfo | None) -> list[Path]:
    """Return the kept directories of failed (or unknown) tests that exist."""
    if info is None:
        return []
    return [
        Path(t["path"])
        for t in info.tests
        if t["outcome"] in ("failed", "unknown")
        and t["retained"]
        and Path(t["path"]).is_dir()
    ]
