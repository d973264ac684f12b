"""pytest plugin: each test's outcome for its directories, fixturestmp's
leak checks around every test, and ``tmp_path`` on a fixturestmp session
(:mod:`fixturestmp.tmp_path`), when asked.

Registered under the ``pytest11`` entry point. It always tells the
directories a test makes (:class:`~fixturestmp.TempDirFixture`, in a test
function, a function-scoped fixture, or a unittest case run by pytest) the
test's outcome as pytest reports it: setup, call and teardown are all
read, and the decision waits for the teardown report, so a failing
teardown keeps the directory. A directory a wider fixture makes is shared
by tests to come: its outcome is unknown, as from ``setUpClass``.
Without its options it does nothing else but add them to ``pytest
--help``.

With ``--fixturestmp-leaks=memory,processes`` (any names of
:mod:`fixturestmp.leaks`, or ``all``) each test is measured
before its setup and after its teardown, and the ``LEAKED ...`` lines are
printed, largest first, in a ``fixturestmp leaks`` section at the end of the
run. ``--fixturestmp-leaks-fail`` fails the leaking tests (at teardown).

Each leak travels in the teardown report's ``user_properties`` (name
``fixturestmp-leak``), so that under pytest-xdist the controller prints what
the workers found; the particulars are a ``leak-<check>`` report section,
whose advice is in pytest's terms (fixtures that yield, ``tmp_path``,
``monkeypatch``). Under ``fixturestmp run`` leaks (and, with ``memory``,
every test's RSS) are recorded in the session manifest too.

A fixture with a wider scope than the test (class, module, package,
session) is set up in the first test that uses it and torn down after the
last. Temp entries that a test leaves while such a fixture it set up is
still alive are checked again when that fixture has been torn down, and
reported against the test only if they are still there (in the teardown
report of the test whose teardown ended the fixture's scope).

Under pytest-xdist, when ``files`` is on, each worker gets a temporary
directory of its own (``TMPDIR`` and :data:`tempfile.tempdir`, a new
directory in the usual one, removed at the worker's end if empty), so that
what one worker leaves is not blamed on a test of another.
"""

import os
import warnings
from typing import Any

import pytest

from fixturestmp._config import resolve
from fixturestmp._process.envvars import SESSION_ENV
from fixturestmp._runtime.watch import CaseWatch, set_running_test
from fixturestmp.errors import ConfigError

__all__ = ["LeakPlugin"]

PROPERTY = "fixturestmp-leak"
_PLUGIN_NAME = "fixturestmp-leaks"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fixturestmp", "fixturestmp leak checks")
    group.addoption(
        "--fixturestmp-tmp-path",
        action="store_true",
        default=False,
        help="serve tmp_path, tmp_path_factory, tmpdir and tmpdir_factory from "
        "a fixturestmp session: a failed test's directory is kept and named, "
        "a passing test's removed (as -p fixturestmp.tmp_path)",
    )
    parser.addini(
        "fixturestmp_tmp_path",
        type="bool",
        default=False,
        help="serve tmp_path from a fixturestmp session (as --fixturestmp-tmp-path)",
    )
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


class _ItemWatch(CaseWatch):
    """The watch of one pytest test item: pytest's reports of its phases
    are its outcome; the teardown report is the last word.
    """

    __slots__ = ()

    def test_id(self) -> str:
        return str(self.case.nodeid)

    def test_name(self) -> str:
        return str(self.case.name)


# The item running in this process (pytest runs one at a time), and the
# watches of items whose directories wait for them, by node id.
_item: pytest.Item | None = None
_watches: dict[str, CaseWatch] = {}
# The scopes of the fixtures being set up now, innermost last.
_scopes: list[str] = []


def running_item() -> pytest.Item | None:
    """Return the test item running in this process, if one is."""
    return _item


def _running_item() -> CaseWatch | None:
    item = _item
    if item is None or (_scopes and _scopes[-1] != "function"):
        # A fixture of a wider scope (a unittest setUpClass too) is shared
        # by tests to come: no one test's outcome is its user's.
        return None
    watch = _watches.get(item.nodeid)
    if watch is None:
        watch = _watches[item.nodeid] = _ItemWatch(item)
        watch.reports_later = True
    return watch


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: Any) -> Any:
    global _item
    outer, _item = _item, item
    try:
        yield
    finally:
        # A test may run pytest inside itself (pytester's inline runs):
        # the outer test is running again.
        _item = outer
        # A run cut short before its teardown report: what is known so far.
        _report(_watches.pop(item.nodeid, None))


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: Any) -> Any:
    _scopes.append(fixturedef.scope)
    try:
        yield
    finally:
        _scopes.pop()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    watch = _watches.get(report.nodeid)
    if watch is None:
        return
    expected = hasattr(report, "wasxfail")
    if report.failed or (report.passed and expected):
        watch.fail()  # An error in any phase, or an unexpected success.
    elif report.skipped and not expected:
        watch.skipped = True
    if report.when == "teardown":
        _report(_watches.pop(report.nodeid, None))


def _report(watch: CaseWatch | None) -> None:
    # pytest has reported the test: a problem removing its directory is a
    # warning, never an error of pytest's own.
    if watch is None:
        return
    try:
        watch.report()
    except Exception as error:
        warnings.warn(
            f"fixturestmp: after {watch.test_id()} was reported: {error}",
            RuntimeWarning,
            stacklevel=1,
        )


# How many pytest sessions run in this process, one inside another
# (pytester's inline runs): the innermost's end leaves the outer's watch.
_sessions: list[pytest.Session] = []


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _sessions.append(session)
    set_running_test(_running_item)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    if session in _sessions:
        _sessions.remove(session)
    if not _sessions:
        set_running_test(None)


def pytest_configure(config: pytest.Config) -> None:
    try:
        served = resolve("pytest_tmp_path")
    except ConfigError as error:
        raise pytest.UsageError(str(error)) from None
    if (
        served
        or config.getoption("fixturestmp_tmp_path")
        or config.getini("fixturestmp_tmp_path")
    ):
        config.pluginmanager.import_plugin("fixturestmp.tmp_path")
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
    plugin = LeakPlugin(checks, fail)
    worker = getattr(config, "workerinput", {}).get("workerid")
    if worker is not None and "files" in checks:
        plugin.own_temp_dir(worker)
    config.pluginmanager.register(plugin, _PLUGIN_NAME)


class LeakPlugin:
    """The active part of the plugin, registered only when asked for.

    :ivar checks: The names of the checks run around each test.
    :ivar fail: Whether a leak fails its test.
    :ivar found: ``{"check", "size", "summary"}`` of every leak reported,
        on the controller under xdist.
    """

    def __init__(self, checks: tuple[str, ...], fail: bool) -> None:
        # The probes, not the fixtures: a pytest run needs neither fixtures
        # nor testtools. One set, started and stopped around each test.
        from fixturestmp.leaks.probe import ProbeSet

        self._check = ProbeSet(checks, action="report", style="pytest")
        self.checks = checks
        self.fail = fail
        self.found: list[dict[str, Any]] = []
        self._running: dict[str, Any] = {}
        # Fixtures of a wider scope set up during the running test.
        self._wide: dict[str, set[Any]] = {}
        # (test id, files check, entries, wide fixtures not yet torn down)
        self._pending: list[tuple[str, Any, list[tuple[str, int]], set[Any]]] = []
        # Leaks of earlier tests confirmed during this teardown.
        self._confirmed: list[Any] = []
        self._restore_tmp: Any = None

    def own_temp_dir(self, worker: str) -> None:
        """Give this process (an xdist worker) a temporary directory of its
        own, in the usual one, until pytest ends."""
        from fixturestmp.leaks.files import own_temp_dir

        self._restore_tmp = own_temp_dir(f"xdist-{worker}")

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self._restore_tmp is not None:
            self._restore_tmp()
            self._restore_tmp = None

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Any:
        self._wide[item.nodeid] = set()
        self._check.start()
        self._running[item.nodeid] = self._check
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any, request: Any) -> Any:
        yield
        if fixturedef.scope != "function":
            # The running test set it up: it may outlive the test, and what
            # it made with it.
            for wide in self._wide.values():
                wide.add(fixturedef)

    def pytest_fixture_post_finalizer(self, fixturedef: Any, request: Any) -> None:
        if fixturedef.scope == "function":
            return
        for wide in self._wide.values():
            wide.discard(fixturedef)
        still = []
        for test_id, files, entries, waiting in self._pending:
            waiting.discard(fixturedef)
            if waiting:
                still.append((test_id, files, entries, waiting))
            else:
                self._confirmed.extend(files.recheck(test_id, entries))
        self._pending = still

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: Any) -> Any:
        leaks = []
        if call.when == "teardown" and item.nodeid in self._running:
            check = self._running.pop(item.nodeid)
            wide = self._wide.pop(item.nodeid, set())
            leaks = check.stop(item.nodeid)
            if wide:
                leaks = self._defer_files(item.nodeid, check, leaks, wide)
            leaks += self._confirmed
            self._confirmed = []
        if leaks:
            self._attach(item, leaks)
        outcome = yield
        if leaks and self.fail:
            report = outcome.get_result()
            if report.outcome != "failed":
                from fixturestmp.leaks.findings import LeakError

                report.outcome = "failed"
                report.longrepr = str(LeakError(leaks, "pytest"))

    def _defer_files(
        self, test_id: str, check: Any, leaks: list[Any], wide: set[Any]
    ) -> list[Any]:
        """Hold back the files leak of a test that set up fixtures of a
        wider scope still alive: they may remove the entries at their end."""
        files = next((m for m in check.members if m.name == "files"), None)
        if files is None or not files.found:
            return leaks
        self._pending.append((test_id, files, list(files.found), set(wide)))
        return [leak for leak in leaks if leak.check != "files"]

    def _attach(self, item: pytest.Item, leaks: list[Any]) -> None:
        from fixturestmp.leaks.reporting import detail_name, detail_text, record

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

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # Fixtures never torn down (an interrupted run): report what stays.
        for test_id, files, entries, _ in self._pending:
            for leak in files.recheck(test_id, entries):
                self.found.append(
                    {"check": leak.check, "size": leak.size, "summary": leak.summary}
                )
        self._pending = []

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
