"""Retention policies: which temporary directories outlive their users."""

import enum

__all__ = ["OUTCOMES", "RetentionPolicy"]

#: What a directory's user can have done. ``unknown``: nothing says whether
#: it failed (set up outside any running test, or it outlived its test).
OUTCOMES = ("passed", "failed", "skipped", "unknown")


class RetentionPolicy(str, enum.Enum):
    """What to keep when a temporary directory's user is done.

    ``all`` keeps every directory, ``failed`` keeps only the directories of
    users that failed, ``none`` keeps nothing.
    """

    ALL = "all"
    FAILED = "failed"
    NONE = "none"

    def keeps(self, failed: bool) -> bool:
        """Return whether a directory whose user ``failed`` is kept."""
        if self is RetentionPolicy.ALL:
            return True
        return self is RetentionPolicy.FAILED and failed

    def __str__(self) -> str:
        return self.value
