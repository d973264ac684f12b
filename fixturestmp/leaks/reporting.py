"""Reporting leaks: test details, the session manifest, failures."""

import os
import sys
from json.encoder import encode_basestring_ascii
from typing import TYPE_CHECKING, Any

from fixturestmp._process import forks
from fixturestmp._process.envvars import SESSION_ENV
from fixturestmp.leaks.findings import Leak, LeakError

if TYPE_CHECKING:
    from fixturestmp._fixtures.session import SessionTempFixture

__all__ = [
    "DETAIL_MAX_CHARS",
    "detail_name",
    "detail_text",
    "record",
    "record_memory",
    "settle",
]

# subunit packets are at most 4 MiB; a leak detail must stay far below that.
DETAIL_MAX_CHARS = 32 * 1024


def detail_name(leak: Leak) -> str:
    """Return the detail name for ``leak``: ``leak-<check>``."""
    return f"leak-{leak.check}"


def detail_text(leak: Leak) -> str:
    """Return the detail text: the summary line, then the particulars, capped."""
    text = f"{leak.summary}\n{leak.detail}".rstrip() + "\n"
    if len(text) > DETAIL_MAX_CHARS:
        cut = text.rfind("\n", 0, DETAIL_MAX_CHARS)
        text = text[:cut] + f"\n... ({len(text) - cut} more characters)\n"
    return text


def record(leaks: list[Leak], session: "SessionTempFixture | None" = None) -> None:
    """Append one ``kind: leak`` record per leak to the session manifest.

    :param session: A :class:`~fixturestmp.SessionTempFixture`; default: the
        process-wide session, which is created only if something leaked.
    """
    if not leaks:
        return
    if session is None:
        from fixturestmp._fixtures.session import default_session

        session = default_session()
    for leak in leaks:
        session.manifest.append(leak.record())


# The number of this process's next memory record.
_memory_seq = 0


@forks.after_fork_in_child
def _number_own_records() -> None:
    global _memory_seq
    _memory_seq = 0  # A forked child numbers its own records from 0.


def record_memory(
    test_id: str,
    before: int,
    after: int,
    session: "SessionTempFixture | None" = None,
) -> None:
    """Append one test's RSS before and after it to the session manifest.

    The record is ``{"kind": "memory", "id": test_id, "before": bytes,
    "after": bytes, "seq": n, "pid": pid}``, where ``seq`` numbers the
    records of one process from 0. Records are batched (written with the
    next urgent record, every :data:`~fixturestmp._store.manifest.BATCH` records
    and when the session ends), so a test pays for no write of its own.

    :param session: Where to record; default: the process's session if it
        has one already or joins one (``fixturestmp run``); otherwise
        nothing is recorded: no session is made for memory records.
    """
    global _memory_seq
    if session is None:
        # Without importing the session module when nothing made a session:
        # it is not needed then, and this runs once per test.
        sessions = sys.modules.get("fixturestmp._fixtures.session")
        made = sessions is not None and sessions.has_default_session()
        if not made and not os.environ.get(SESSION_ENV):
            return
        from fixturestmp._fixtures.session import default_session

        session = default_session()
    seq, pid = _memory_seq, os.getpid()
    _memory_seq += 1
    session.manifest.append_line(
        f'{{"kind":"memory","id":{encode_basestring_ascii(test_id)},'
        f'"before":{before:d},"after":{after:d},"seq":{seq:d},"pid":{pid:d}}}\n',
        urgent=False,
    )


def settle(
    leaks: list[Leak],
    *,
    case: Any = None,
    session: "SessionTempFixture | None" = None,
    action: str,
    style: str = "testtools",
) -> None:
    """Report ``leaks`` as details of ``case``, record them, fail if asked.

    :param case: A testtools test case to attach ``leak-<check>`` details to.
    :param session: Where to record them (see :func:`record`).
    :param action: ``report``, or ``fail`` to raise :class:`LeakError`.
    :param style: The advice's words in the error (see :class:`LeakError`).
    :raises LeakError: There are leaks and ``action`` is ``fail``.
    """
    if not leaks:
        return
    add_detail = getattr(case, "addDetailUniqueName", None)
    if add_detail is not None:
        # A testtools case: testtools is imported already.
        from testtools.content import text_content

        for leak in leaks:
            add_detail(detail_name(leak), text_content(detail_text(leak)))
    record(leaks, session)
    if action == "fail":
        raise LeakError(leaks, style)
