"""pytest plugin: fixturestmp's leak checks around every test, when asked.

Registered under the ``pytest11`` entry point. Without its options it only
adds them to ``pytest --help``. With ``--fixturestmp-leaks=memory,processes``
(any names of :mod:`fixturestmp.leaks`, or ``all``) each test is measured
before its setup and after its teardown, and the ``LEAKED ...`` lines are
printed, largest first, in a ``fixturestmp leaks`` section at the end of the
run. ``--fixturestmp-leaks-fail`` fails the leaking tests (at teardown).

Each leak travels in the teardown report's ``user_properties`` (name
``fixturestmp-leak``), so that under pytest-xdist the controller prints what
the workers found; the particulars are a ``leak-<check>`` report section.
Under ``fixturestmp run`` leaks are recorded in the session manifest too.

A fixture with a wider scope than the test (module, session) is set up in the
first test that uses it and torn down in the last: what it holds in between
counts as leaked by the first test.
"""

import os
from typing import Any

import pytest

from fixturestmp.config import resolve
from fixturestmp.errors import ConfigError

__all__ = ["LeakPlugin"]

PROPERTY = "fixturestmp-leak"
_PLUGIN_NAME = "fixturestmp-leaks"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fixturestmp", "fixturestmp leak checks")
    group.addoption(
        "--fixturestmp-leaks",
        metavar="CHECKS",
        default=None,
        help="run these leak checks around each test's setup, call and "
        "teardown, and print what leaked at the end: comma separated names "
        "from environ, fds, files, memory, processes, threads, or all",
    )
    group.addoption(
        "--fixturestmp-leaks-fail",
        action="store_true",
        default=False,
        help="fail the tests that leak (at teardown); without "
        "--fixturestmp-leaks, run the leak_checks set in the configuration",
    )


def pytest_configure(config: pytest.Config) -> None:
    given = config.getoption("fixturestmp_leaks")
    fail = config.getoption("fixturestmp_leaks_fail")
    if given is None and not fail:
        return
    try:
        checks = resolve("leak_checks", given, source="--fixturestmp-leaks")
        resolve("memory_leak_limit")
    except ConfigError as error:
        raise pytest.UsageError(str(error)) from None
    if not checks:
        if fail:
            raise pytest.UsageError(
                "--fixturestmp-leaks-fail: no leak checks to run; name them "
                "with --fixturestmp-leaks=memory,processes,... or set "
                "leak_checks in the [fixturestmp] configuration"
            )
        return
    config.pluginmanager.register(LeakPlugin(checks, fail), _PLUGIN_NAME)


class LeakPlugin:
    """The active part of the plugin, registered only when asked for.

    :ivar checks: The names of the checks run around each test.
    :ivar fail: Whether a leak fails its test.
    :ivar found: ``{"check", "size", "summary"}`` of every leak reported,
        on the controller under xdist.
    """

    def __init__(self, checks: tuple[str, ...], fail: bool) -> None:
        from fixturestmp.leaks import LeakCheck

        self._make_check = lambda: LeakCheck(checks, action="report")
        self.checks = checks
        self.fail = fail
        self.found: list[dict[str, Any]] = []
        self._running: dict[str, Any] = {}

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Any:
        check = self._make_check()
        check.start()
        self._running[item.nodeid] = check
        yield

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: Any) -> Any:
        leaks = []
        if call.when == "teardown" and item.nodeid in self._running:
            leaks = self._running.pop(item.nodeid).stop(item.nodeid)
        if leaks:
            self._attach(item, leaks)
        outcome = yield
        if leaks and self.fail:
            report = outcome.get_result()
            if report.outcome != "failed":
                from fixturestmp.leaks import LeakError

                report.outcome = "failed"
                report.longrepr = str(LeakError(leaks))

    def _attach(self, item: pytest.Item, leaks: list[Any]) -> None:
        from fixturestmp.leaks.report import detail_name, detail_text, record
        from fixturestmp.session import SESSION_ENV

        for leak in leaks:
            # The report is built from these after this hook: they travel
            # with the teardown report, to the xdist controller too.
            item.user_properties.append(
                (
                    PROPERTY,
                    {"check": leak.check, "size": leak.size, "summary": leak.summary},
                )
            )
            item.add_report_section("teardown", detail_name(leak), detail_text(leak))
        if os.environ.get(SESSION_ENV):
            # Only a session that exists anyway: pytest users get no session
            # directory just for this.
            record(leaks)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name == PROPERTY and isinstance(value, dict):
                self.found.append(value)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.found:
            return
        terminalreporter.section("fixturestmp leaks")
        for leak in sorted(self.found, key=lambda leak: -int(leak["size"])):
            terminalreporter.write_line(str(leak["summary"]))
