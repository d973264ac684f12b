"""The one adapter to private internals: of unittest and testtools (the
running case, its outcome, its result) and of the interpreter (the
environment's encoded copy, multiprocessing's and eventlet's state, other
threads' stacks).

Nothing else in fixturestmp reads a private name of another library or of
the interpreter. Each use, and the versions it was checked against (run
in CI: CPython 3.10 to 3.13, each tox environment; testtools and eventlet
at the versions the test extras install):

=============================================  ==========================
private use (module: function)                 checked against
=============================================  ==========================
``sys._getframe``, ``frame.f_back``,           CPython 3.10-3.13
``frame.f_locals`` (testruns: the running
case and the result its ``run()`` was given)
``sys._current_frames`` (interpreter:          CPython 3.10-3.13
``thread_frames``)
``TestCase.run``'s code object, ``_outcome``,  CPython 3.10-3.13 unittest
``_outcome.result``/``.success``/``.errors``/
``.skipped``/``.expectedFailure``,
``_testMethodName`` (testruns)
testtools ``TestCase.run``, ``_cleanups``      testtools 2.7-2.9.1
(run last-to-first), ``_ExpectedFailure``,
``force_failure`` (testruns)
``os.environ._data`` (interpreter:             CPython 3.10-3.13, POSIX
``environ_snapshot``, ``environ_is``)
``multiprocessing.current_process()._config``  CPython 3.10-3.13
(interpreter: ``multiprocessing_tempdir``)
``resource_tracker._resource_tracker._fd``,    CPython 3.10-3.13
``forkserver._forkserver._forkserver_alive_fd``
(interpreter: ``multiprocessing_helper_fds``)
``fixtures._fixtures.tempdir.TempDir._setUp``  fixtures 4.0-4.3.2
(fixtureslib: ``fixturestmp run --adopt``)
``eventlet.hubs._threadlocal.hub.poll``        eventlet 0.30-0.41
(interpreter: ``eventlet_hub_fd``)
pytest ``Config._inicfg`` (9), ``.inicfg``     pytest 7.4-9.2
and ``._override_ini`` (7-8), ``_pytest.
compat.legacy_path`` (pytestlib: the
``tmp_path`` plugin)
=============================================  ==========================

A result's ``addError``, ``addFailure``, ``addSkip``, ``stopTest`` and the
rest are public API; the watch hears them by setting instance attributes
on the result a run was given (testruns), which passes every call on.
"""
