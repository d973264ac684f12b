"""What to do about a leak, in the words of the test framework at hand.

A testtools or unittest user releases things with ``addCleanup`` and
fixtures; a pytest user with a fixture that yields, ``tmp_path`` and
``monkeypatch``. Each check's report ends with the advice of the style it
was made for: ``testtools`` (also for plain unittest) or ``pytest``.
"""

from fixturestmp.errors import ConfigError

__all__ = ["STYLES", "advice", "check_style", "error_advice"]

#: The styles of advice, by test framework.
STYLES = ("testtools", "pytest")

_ADVICE = {
    "testtools": {
        "environ": (
            "set variables for one test with "
            "self.useFixture(fixtures.EnvironmentVariable(name, value)), and "
            "change directory back in a cleanup; EnvironLeakCheck(clean=True) "
            "or LeakCheck(clean=True) restores them"
        ),
        "fds": "close it in the test, e.g. self.addCleanup(stream.close)",
        "files": (
            "left in place; make files in the test's own directory "
            "(fixturestmp.TestCase.tmp_path, self.useFixture(TempDirFixture())) "
            "or remove them with self.addCleanup; FileLeakCheck(clean=True) or "
            "LeakCheck(clean=True) removes what a test adds"
        ),
        "memory": (
            "drop what stays referenced: attributes of the test case live as "
            "long as the suite; so do module-level caches"
        ),
        "processes": (
            "still running; stop it in the test, e.g. self.addCleanup(proc.wait) "
            "then self.addCleanup(proc.kill); ProcessLeakCheck(kill=True) or "
            "LeakCheck(kill=True) terminates leaked processes"
        ),
        "threads": "stop it and join it in the test, e.g. with self.addCleanup",
    },
    "pytest": {
        "environ": (
            "set variables and change directory with monkeypatch.setenv, "
            "monkeypatch.delenv and monkeypatch.chdir: pytest undoes them "
            "after the test"
        ),
        "fds": "close it: a with block, or a fixture that closes it after its yield",
        "files": (
            "left in place; use the tmp_path fixture, or a fixture that removes "
            "what it makes after its yield"
        ),
        "memory": (
            "drop what stays referenced: module-level caches, or values that "
            "a fixture of a wider scope holds"
        ),
        "processes": (
            "still running; start it in a fixture that kills it and waits for "
            "it after its yield (or in a request.addfinalizer)"
        ),
        "threads": (
            "stop it and join it in a fixture, after its yield "
            "(or in a request.addfinalizer)"
        ),
    },
}

_ERROR = {
    "testtools": (
        "Release what the test starts, opens or sets, e.g. with addCleanup or "
        "a fixture; the leak-<check> details say more."
    ),
    "pytest": (
        "Release what the test starts, opens or sets: in a fixture after its "
        "yield (or request.addfinalizer), with tmp_path, or with "
        "monkeypatch.setenv; the leak-<check> sections say more."
    ),
}


def check_style(style: str | None) -> str:
    """Return ``style``, ``testtools`` if None.

    :raises ConfigError: ``style`` is not one of :data:`STYLES`.
    """
    if style is None:
        return "testtools"
    if style not in STYLES:
        raise ConfigError(
            f"leak check style {style!r} is not one of {', '.join(STYLES)}: "
            "say which test framework the advice is for"
        )
    return style


def advice(check: str, style: str) -> str:
    """Return what to do about a leak found by ``check``, for ``style``."""
    return _ADVICE[style].get(check, "")


def error_advice(style: str) -> str:
    """Return the last line of a :class:`~fixturestmp.leaks.LeakError`."""
    return _ERROR[style]
