"""Disposable temporary directories for test suites, with retention.

Keep the directories of failed tests, drop the rest, bound how many past runs
stay on disk, and catch tests that leak resources.
"""

from fixturestmp.errors import ConfigError, UnsafeRootError
from fixturestmp.leaks import LeakCheck, LeakError
from fixturestmp.outcome import OutcomeMixin
from fixturestmp.policy import RetentionPolicy
from fixturestmp.session import SessionTempFixture, default_session
from fixturestmp.tempdir import TempDirFixture
from fixturestmp.testcase import TestCase

__all__ = [
    "ConfigError",
    "LeakCheck",
    "LeakError",
    "OutcomeMixin",
    "RetentionPolicy",
    "SessionTempFixture",
    "TempDirFixture",
    "TestCase",
    "UnsafeRootError",
    "default_session",
]
