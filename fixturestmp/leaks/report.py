"""Reporting leaks: test details, the session manifest, failures."""

from typing import TYPE_CHECKING, Any

from testtools.content import text_content

from fixturestmp.leaks.findings import Leak, LeakError

if TYPE_CHECKING:
    from fixturestmp.session import SessionTempFixture

__all__ = ["DETAIL_MAX_CHARS", "detail_name", "record", "settle"]

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
        from fixturestmp.session import default_session

        session = default_session()
    for leak in leaks:
        session.manifest.append(leak.record())


def settle(
    leaks: list[Leak],
    *,
    case: Any = None,
    session: "SessionTempFixture | None" = None,
    action: str,
) -> None:
    """Report ``leaks`` as details of ``case``, record them, fail if asked.

    :param case: A testtools test case to attach ``leak-<check>`` details to.
    :param session: Where to record them (see :func:`record`).
    :param action: ``report``, or ``fail`` to raise :class:`LeakError`.
    :raises LeakError: There are leaks and ``action`` is ``fail``.
    """
    if not leaks:
        return
    add_detail = getattr(case, "addDetailUniqueName", None)
    if add_detail is not None:
        for leak in leaks:
            add_detail(detail_name(leak), text_content(detail_text(leak)))
    record(leaks, session)
    if action == "fail":
        raise LeakError(leaks)
