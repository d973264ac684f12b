"""The retention decision: from a policy and an outcome to keep or remove."""

import functools
from typing import NamedTuple

from fixturestmp.policy import OUTCOMES, RetentionPolicy

__all__ = ["Decision", "decide"]


_HOW_TO_KNOW = (
    "to make it known, call mark_failed() when its user fails, use it in a "
    "with statement, or use it from a test (useFixture, fixturestmp.TestCase)"
)


class Decision(NamedTuple):
    """What happens to a directory, and the sentence that says why.

    :ivar keep: Whether the directory outlives its user (until the run
        ends, where ``text`` says ``removed when the run ends``).
    :ivar text: ``retained: ...``, ``kept: outcome unknown ...``,
        ``removed: ...`` or ``removed when the run ends: ...``.
    """

    keep: bool
    text: str


@functools.cache  # Pure: the same few sentences, made once.
def decide(
    policy: RetentionPolicy, outcome: str, why: str, session_kept: bool = True
) -> Decision:
    """Decide a directory's fate.

    :param policy: The retention policy.
    :param outcome: One of :data:`OUTCOMES`.
    :param why: What the outcome was learned from, e.g. ``the test failed``.
    :param session_kept: False when the whole session is removed at its end
        whatever its tests did (``retention_count`` 0).
    :return: ``keep`` is true under ``all``; under ``failed`` for an
        outcome that is ``failed`` or ``unknown`` (evidence is never deleted
        on a guess); never under ``none``.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome {outcome!r} is not one of {OUTCOMES}")
    keep = policy is RetentionPolicy.ALL or (
        policy is RetentionPolicy.FAILED and outcome in ("failed", "unknown")
    )
    reason = f"{why} and retention_policy is {policy.value}"
    if keep and not session_kept:
        return Decision(
            True,
            f"removed when the run ends: {reason}, but retention_count is 0 "
            f"(no session is kept)",
        )
    if not keep:
        return Decision(False, f"removed: {reason}")
    if outcome == "unknown":
        return Decision(True, f"kept: {reason}; {_HOW_TO_KNOW}")
    return Decision(True, f"retained: {reason}")
