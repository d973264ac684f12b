"""The running unittest or testtools case, and its outcome, from their
private parts.

fixturestmp learns a test's outcome with no help from the test. The public
APIs of unittest and testtools do not offer all it needs, so this module
reads a few of their private parts; each use names the versions it was
checked against, and the package's docstring (:mod:`fixturestmp._runtime`)
has them in one table.

How the case is found: it is the test case whose ``run()`` is on the
calling thread's stack, nearest first (unittest's, or testtools'; every
unittest-style runner, pytest's included, calls one of them); from another
thread, the one test case running in the process. Outside any running test
(``setUpClass``, ``setUpModule``, a script) there is none.

When the outcome is final: the case's watch ends after the run's last
cleanup, with the outcome so far; it is reported once the result the run
was given has heard the test's ``stopTest`` (or, for a class that
overrides ``run()``, the next test's ``startTest``, the run's
``stopTestRun``, or the session's end). A failure the result hears before
then (a test that ran its own cleanups and failed after, a ``run()``
override that reports after its parent's) still counts.
"""

import functools
import sys
import unittest
import warnings
import weakref
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeGuard

from fixturestmp._runtime.interpreter import thread_frames
from fixturestmp._runtime.watch import CaseWatch

if TYPE_CHECKING:
    import testtools

__all__ = [
    "after_cleanups",
    "running_case",
    "running_run",
    "test_name",
    "watch",
]

# Python 3.10-3.13 and testtools 2.7-2.9.1: every test runs inside one of
# these, and subclasses that override run() (IsolatedAsyncioTestCase) call
# unittest's in turn. testtools is looked up only once imported: no
# testtools test can run before, and the start-up hook imports nothing.
_UNITTEST_RUN = unittest.TestCase.run.__code__
_AFTER = "_fixturestmp_after_cleanups"
_SUCCESS = "_fixturestmp_success"
#: The watch of each case whose run is watched, by ``id(case)``. An entry
#: lives while its case runs (the watch holds the case), so no other case
#: can have its id meanwhile; nothing is stored on the case itself.
_WATCHES: dict[int, CaseWatch] = {}
# Stands for a result not yet looked for.
_UNKNOWN: Any = object()


def running_case() -> unittest.TestCase | None:
    """Return the test case running on this thread, or the only one running
    in the process, or None.
    """
    return running_run()[0]


def running_run() -> tuple[unittest.TestCase | None, Any]:
    """Return the test case running (see :func:`running_case`) and the
    result its run() was given, else ``(None, None)``.
    """
    run = _run_on_stack(sys._getframe(1))
    if run is not None:
        return run
    # A worker thread of a test: the test runs on another thread.
    found = {
        id(run[0]): run
        for frame in thread_frames().values()
        if (run := _run_on_stack(frame)) is not None
    }
    return found.popitem()[1] if len(found) == 1 else (None, None)


def _testtools() -> Any:
    """Return ``testtools.testcase`` if it is imported, else None."""
    return sys.modules.get("testtools.testcase")


def _expected_failure() -> tuple[type[BaseException], ...]:
    """testtools 2.7-2.9.1 raises ``_ExpectedFailure`` for an expected failure."""
    module = _testtools()
    return (module._ExpectedFailure,) if module is not None else ()


def _is_testtools(case: unittest.TestCase) -> "TypeGuard[testtools.TestCase]":
    module = _testtools()
    return module is not None and isinstance(case, module.TestCase)


def _run_on_stack(frame: FrameType | None) -> tuple[unittest.TestCase, Any] | None:
    module = _testtools()
    unittest_run = _UNITTEST_RUN
    testtools_run = _own_run(module.TestCase).__code__ if module is not None else None
    while frame is not None:
        code = frame.f_code
        if code is unittest_run or code is testtools_run:
            # run(self, result): the running case, and the result it was
            # given (unittest's own default result once it made one).
            found = frame.f_locals
            case = found.get("self")
            return None if case is None else (case, found.get("result"))
        frame = frame.f_back
    return None


def _own_run(kind: type) -> Any:
    # Under fixturestmp._hooks.everytest, kind.run is a wrapper (functools.wraps),
    # whose code every wrapper shares: the frame to look for is the run's
    # it wraps.
    run = kind.__dict__["run"]
    return getattr(run, "__wrapped__", run)


def test_name(case: unittest.TestCase) -> str:
    """Return the name of the test method ``case`` runs."""
    # unittest 3.0+: set by TestCase.__init__ (testscenarios keeps it).
    return case._testMethodName


def after_cleanups(case: unittest.TestCase, callback: Callable[[], None]) -> None:
    """Run ``callback`` after every cleanup of ``case``'s current run, those
    added later included; an exception it raises is an error of the test.

    Callbacks run in the order they were added, before the result hears of
    the test (testtools: before it reads the details).
    """
    if _is_testtools(case):
        _last_testtools_cleanup(case, callback)
        return
    callbacks = case.__dict__.get(_AFTER)
    if callbacks is None:
        callbacks = case.__dict__[_AFTER] = []
        case.doCleanups = functools.partial(_do_cleanups, case, case.doCleanups)  # type: ignore[method-assign]
    callbacks.append(callback)


def _last_testtools_cleanup(
    case: "testtools.TestCase", callback: Callable[[], None]
) -> None:
    # testtools 2.7-2.9.1: _run_cleanups pops case._cleanups from the end
    # until it is empty, so index 0 runs last.
    case._cleanups.insert(0, (callback, (), {}))


def _do_cleanups(case: unittest.TestCase, do_cleanups: Callable[[], Any]) -> Any:
    # unittest 3.10-3.13: run() calls case.doCleanups() (here an instance
    # attribute, for this run) after tearDown, and keeps the run's state in
    # case._outcome; a part run in _outcome.testPartExecutor reports its
    # error or skip as the test's.
    try:
        return do_cleanups()
    finally:
        del case.doCleanups
        callbacks = case.__dict__.pop(_AFTER)
        outcome = case._outcome  # type: ignore[attr-defined]
        for callback in callbacks:
            if outcome is None:
                callback()
                continue
            # What the parts so far came to; inside a part it reads True.
            case.__dict__[_SUCCESS] = outcome.success
            with outcome.testPartExecutor(case):
                callback()
        case.__dict__.pop(_SUCCESS, None)


def watch(case: unittest.TestCase, result: Any = _UNKNOWN) -> CaseWatch | None:
    """Return the watch of ``case``'s current run, made on first use, or
    None where the run cannot be followed (the case is not running).

    The watch learns the outcome as the run goes and ends after the case's
    last cleanup (for testtools, before its result hears of the test, so
    details read final); it is reported when ``result`` has heard the test
    end (see the module's docstring), or at once where there is none.

    :param result: The result the case's run() was given, if known
        (:func:`running_run`); else it is looked for on the stack.
    """
    found = _WATCHES.get(id(case))
    if found is None:
        if _is_testtools(case):
            found = _TesttoolsWatch(case)
        elif getattr(case, "_outcome", None) is not None:
            found = _UnittestWatch(case)
        else:
            return None  # Not inside run(): set up from outside any test.
        _WATCHES[id(case)] = found
        if result is _UNKNOWN:
            result = _run_result(case)
        attributes = getattr(result, "__dict__", None)
        if (
            attributes is not None and attributes.get(_HEARD) is not None
        ) or _hear_reports(result):
            found.reports_later = True
            _REPORTING[id(case)] = found
    return found


def _classify(watch: CaseWatch, error_type: type[BaseException] | None) -> None:
    if error_type is None:
        return
    if issubclass(error_type, unittest.SkipTest):
        watch.skipped = True
    elif not issubclass(error_type, _expected_failure()):
        # testtools 2.7-2.9.1: an unexpected success is raised as
        # _UnexpectedSuccess; it counts as a failure, as runners report.
        watch.fail()


class _TesttoolsWatch(CaseWatch):
    """testtools: ``onException`` hears every exception of setUp, the test,
    tearDown and the cleanups as it happens; ``expectThat`` sets
    ``force_failure``.
    """

    __slots__ = ()

    def __init__(self, case: "testtools.TestCase") -> None:
        super().__init__(case)
        # One handler a run, passing on to the run's watch: testtools has
        # no public way to remove one, so a case run again keeps the old,
        # which tell the new watch too (harmlessly: flags are only set).
        case.addOnException(functools.partial(_on_exception, id(case)))
        _last_testtools_cleanup(case, self._end_run)

    def so_far(self) -> str:
        # testtools 2.7-2.9.1: expectThat() sets force_failure, reset when
        # the case runs again.
        if self.reported is None and getattr(self.case, "force_failure", False):
            return "failed"
        return super().so_far()

    def _end_run(self) -> None:
        try:
            self.end()
        finally:
            if not self.reports_later:
                _forget(self)


def _on_exception(case_id: int, exc_info: Any) -> None:
    found = _WATCHES.get(case_id)
    if found is not None:
        _classify(found, exc_info[0])


class _UnittestWatch(CaseWatch):
    """unittest: learns the outcome after the last cleanup; the errors and
    skips reported to the run's result are heard on the way.
    """

    __slots__ = ("_outcome", "_result")

    def __init__(self, case: unittest.TestCase) -> None:
        super().__init__(case)
        # 3.10-3.13: run() keeps the run's state in case._outcome; 3.11+
        # reports errors and skips to _outcome.result as they happen.
        self._outcome = case._outcome  # type: ignore[attr-defined]
        self._result = self._outcome.result
        self._outcome.result = _Listener(self._result, self)
        after_cleanups(case, self._end_run)

    def _end_run(self) -> None:
        # The listener stays until the report: a test that ran its own
        # cleanups may still fail.
        self._learn_from(self._outcome)
        try:
            self.end()
        finally:
            if not self.reports_later:
                _forget(self)

    def forget(self) -> None:
        self._outcome.result = self._result

    def _learn_from(self, outcome: Any) -> None:
        case = self.case
        # 3.10 collects instead of reporting: _Outcome.errors, .skipped.
        for _, exc_info in getattr(outcome, "errors", ()):
            if exc_info is not None:
                _classify(self, exc_info[0])
        self.skipped = self.skipped or bool(getattr(outcome, "skipped", ()))
        success = case.__dict__.get(_SUCCESS, outcome.success)
        if not success and not self.skipped:
            self.fail()  # An error reported before we listened.
        method = getattr(case, test_name(case), None)
        expecting = getattr(case, "__unittest_expecting_failure__", False) or (
            getattr(method, "__unittest_expecting_failure__", False)
        )
        if success and expecting and not outcome.expectedFailure:
            self.fail()  # An unexpected success: runners fail it.


class _Listener:
    """Passes everything on to ``result``, telling ``watch`` of errors."""

    def __init__(self, result: Any, watch: CaseWatch) -> None:
        self._result = result
        self._watch = watch

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._result, name)
        if name in ("addError", "addFailure", "addSkip", "addSubTest"):
            return functools.partial(self._heard, name, value)
        return value

    def _heard(self, name: str, add: Callable[..., Any], *args: Any) -> Any:
        if name == "addSkip":
            self._watch.skipped = True
        elif name != "addSubTest":
            self._watch.fail()
        elif args[-1] is not None:  # addSubTest(test, subtest, exc_info)
            _classify(self._watch, args[-1][0])
        return add(*args)


def _forget(watch: CaseWatch) -> None:
    """The run is reported: nothing is heard for it any more."""
    if isinstance(watch, _UnittestWatch):
        watch.forget()
    key = id(watch.case)
    if _WATCHES.get(key) is watch:
        del _WATCHES[key]
    if _REPORTING.get(key) is watch:
        del _REPORTING[key]


# The runner's reports. unittest 3.10-3.13 and testtools 2.7-2.9.1: run()
# reports the test to the result it was given (testtools through a
# decorator that calls the given result in turn), and calls its stopTest
# last, whatever happened; a run() that overrides theirs may report more
# after it. The given result is heard there, by instance attributes that
# pass every call on: hooked once per result object, for its life.

#: The watches whose runs a hooked result will report, by ``id(case)``.
_REPORTING: dict[int, CaseWatch] = {}
_HEARD = "_fixturestmp_heard"
_HEARD_NEXT = "_fixturestmp_heard_next"
_FAILURES = ("addError", "addFailure", "addUnexpectedSuccess")
#: Whether a class's run() is unittest's or testtools' own (wrapped or not).
_OWN_RUN: dict[type, bool] = {}


def _run_result(case: unittest.TestCase) -> Any:
    """Return the result ``case``'s run() was given, or None (none given
    to testtools' run, which makes its own, or the run is not found).
    """
    module = _testtools()
    runs = {_UNITTEST_RUN}
    if module is not None:
        runs.add(_own_run(module.TestCase).__code__)
    found = _result_on_stack(sys._getframe(1), case, runs)
    if found is None:
        # A worker thread of the test: its run is on another thread.
        frame = None
        for frame in thread_frames().values():
            found = _result_on_stack(frame, case, runs)
            if found is not None:
                break
        del frame  # This frame holds no frame: no reference cycle.
    return found


def _result_on_stack(frame: FrameType | None, case: Any, runs: set[Any]) -> Any:
    while frame is not None:
        if frame.f_code in runs and frame.f_locals.get("self") is case:
            return frame.f_locals.get("result")
        frame = frame.f_back
    return None


def _hear_reports(result: Any) -> bool:
    """Hook ``result`` (once) so that the runs it reports tell their watch;
    return False where it cannot be hooked (no instance dictionary, or no
    weak reference to it).
    """
    attributes = getattr(result, "__dict__", None)
    if result is None or not isinstance(attributes, dict):
        return False
    if attributes.get(_HEARD) is not None:
        return True
    try:
        ref = weakref.ref(result)
    except TypeError:
        return False
    late: list[CaseWatch] = []
    hooks: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
        *((name, _heard_failure, ()) for name in _FAILURES),
        ("addSkip", _heard_skip, ()),
        ("addSubTest", _heard_subtest, ()),
        ("stopTest", _heard_stop, (late,)),
    ]
    if not _hook(result, ref, hooks):
        return False
    attributes[_HEARD] = late
    return True


def _hear_next_tests(result: Any, late: list[CaseWatch]) -> None:
    """Hook ``result`` (once) to report the ``late`` runs at the next test's
    start or the run's end; only a result that reported a run whose class
    overrides run() pays for it.
    """
    if not result.__dict__.get(_HEARD_NEXT):
        ref = weakref.ref(result)
        hooks: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
            (name, _heard_next, (late,)) for name in ("startTest", "stopTestRun")
        ]
        _hook(result, ref, hooks)
        result.__dict__[_HEARD_NEXT] = True


def _hook(
    result: Any,
    ref: "weakref.ref[Any]",
    hooks: list[tuple[str, Callable[..., Any], tuple[Any, ...]]],
) -> bool:
    """Set each hook as ``result``'s attribute of that name; False where one
    cannot be set (those set stay: they pass every call on).
    """
    try:
        for name, hear, bound in hooks:
            call = getattr(result, name, None)
            if call is None:
                continue
            # result's own method is called through the weak reference:
            # result's dictionary holds no reference cycle.
            own = getattr(call, "__self__", None) is result
            if own:
                call = call.__func__
            setattr(result, name, functools.partial(hear, *bound, ref, own, call))
    except (AttributeError, TypeError):  # A read-only attribute.
        return False
    return True


# Each hook is called as hook(*bound, ref, own, call, test, ...): ``call``
# is what the result's attribute was, a function to call on ``ref()``
# where ``own`` (the result's own method).


def _heard_failure(ref: Any, own: bool, call: Any, test: Any, *a: Any, **k: Any) -> Any:
    watch = _REPORTING.get(id(test))
    if watch is not None:
        watch.fail()
    return call(ref(), test, *a, **k) if own else call(test, *a, **k)


def _heard_skip(ref: Any, own: bool, call: Any, test: Any, *a: Any, **k: Any) -> Any:
    watch = _REPORTING.get(id(test))
    if watch is not None:
        watch.skipped = True
    return call(ref(), test, *a, **k) if own else call(test, *a, **k)


def _heard_subtest(ref: Any, own: bool, call: Any, test: Any, *a: Any, **k: Any) -> Any:
    # addSubTest(test, subtest, exc_info): exc_info None for a passed one.
    watch = _REPORTING.get(id(test))
    if watch is not None and a and a[-1] is not None:
        _classify(watch, a[-1][0])
    return call(ref(), test, *a, **k) if own else call(test, *a, **k)


def _heard_stop(
    late: list[CaseWatch], ref: Any, own: bool, call: Any, test: Any
) -> Any:
    outcome = call(ref(), test) if own else call(test)
    watch = _REPORTING.get(id(test))
    if watch is not None:
        kind = type(test)
        has_own_run = _OWN_RUN.get(kind)
        if has_own_run is None:
            has_own_run = _OWN_RUN[kind] = _has_own_run(kind)
        if has_own_run:
            _report(watch)
        else:
            late.append(watch)  # Reported at the next test, or the end.
            _hear_next_tests(ref(), late)
    return outcome


def _heard_next(
    late: list[CaseWatch], ref: Any, own: bool, call: Any, *args: Any
) -> Any:
    # The tests stopped before are over for good: their run() has returned.
    if late:
        waiting, late[:] = late[:], []
        for watch in waiting:
            _report(watch)
    return call(ref(), *args) if own else call(*args)


def _report(watch: CaseWatch) -> None:
    """Report the run; what goes wrong is a warning, never the runner's
    error: the test is reported already, and the runner goes on.
    """
    try:
        try:
            watch.report()
        finally:
            _forget(watch)
    except Exception as error:
        warnings.warn(
            f"fixturestmp: after {watch.test_id()} was reported: {error}",
            RuntimeWarning,
            stacklevel=3,
        )


def _has_own_run(kind: type) -> bool:
    """Return whether ``kind``'s run() is unittest's or testtools' own: a
    run() that overrides theirs may report a failure after theirs returned.
    """
    run = getattr(kind, "run", None)
    run = getattr(run, "__wrapped__", run)
    code = getattr(run, "__code__", None)
    module = _testtools()
    return code is _UNITTEST_RUN or (
        module is not None and code is _own_run(module.TestCase).__code__
    )
