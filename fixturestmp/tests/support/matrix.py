"""The outcome matrix: kinds of test case x ways of reaching the fixture x
outcomes x late failures, written out as a real suite that every runner can
run.

Each row is one test method (or, for the ``pyfn`` kind, one pytest test
function, which pytest alone runs); its directory is named after the row,
so the disk, the ``tmp-path`` details and the ``fixturestmp run`` summary
can be checked row by row after a run.

A late failure comes after the test's last cleanup: the test runs its own
cleanups (``doCleanups()``) and fails afterwards (``late_cu``), a ``run()``
that overrides the case's reports a failure after its parent's has
returned (``late_run``), or, under pytest, an autouse fixture's teardown
fails (``late_fx``; other runners do not load ``conftest.py``, so there the
test passes).
"""

import textwrap
import unittest
from dataclasses import dataclass

__all__ = [
    "KINDS",
    "LATE",
    "OUTCOMES",
    "PYTEST_KINDS",
    "PYTEST_WAYS",
    "WAYS",
    "Row",
    "rows",
    "suite_files",
]

#: kind: (base class expression, imports, is a testtools case)
KINDS = {
    "tt": ("testtools.TestCase", "import testtools", True),
    "ft": ("fixturestmp.TestCase", "import fixturestmp", True),
    "oslo": ("oslotest.base.BaseTestCase", "import oslotest.base", True),
    "ut": ("unittest.TestCase", "", False),
    "twf": ("fixtures.TestWithFixtures", "import fixtures", False),
    "aio": ("unittest.IsolatedAsyncioTestCase", "", False),
}

#: How the test reaches the fixture (see ``rows.py`` in :func:`suite_files`).
WAYS = ("use", "nest", "help", "man", "reset", "enter", "thread", "with")

#: outcome: whether a directory of a test with that outcome is kept.
OUTCOMES = {
    "pass": False,
    "fail": True,
    "error": True,
    "su_err": True,  # an error in setUp, after the directory is made
    "su_skip": False,  # a skip in setUp, after the directory is made
    "td_err": True,
    "cu_before": True,  # an error in a cleanup added before the directory's
    "cu_after": True,  # an error in a cleanup added after it
    "skip": False,
    "xfail": False,  # an expected failure
    "xpass": True,  # an unexpected success: runners report a failure
    "expect": True,  # testtools' expectThat
    "late_cu": True,
    "late_run": True,
    "late_fx": True,  # under pytest; other runners see a pass
}

_SETUP_OUTCOMES = {"su_err", "su_skip"}

#: Late failures (see the module's docstring): the test itself passes.
LATE = ("late_cu", "late_run", "late_fx")

#: Kinds that pytest alone runs: plain test functions.
PYTEST_KINDS = ("pyfn",)

#: How a pytest function reaches the fixture: a ``with`` block in its body,
#: a fixture that yields inside one, a fixture that adds its cleanUp as a
#: finalizer.
PYTEST_WAYS = ("with", "yield", "final")

#: outcome: whether a pytest function's directory with that outcome is kept.
PYTEST_OUTCOMES = {
    "pass": False,
    "fail": True,
    "error": True,
    "su_err": True,  # its fixture errors after making the directory
    "td_err": True,  # its fixture's teardown errors after the cleanUp
    "skip": False,
    "xfail": False,
    "xpass": True,  # an unexpected success (not strict): kept
    "late_fx": True,
}


@dataclass(frozen=True)
class Row:
    """One row: a test method of the generated suite.

    :ivar unknown: The outcome cannot be learned: shared from ``setUpClass``.
    """

    kind: str
    way: str
    outcome: str
    unknown: bool = False

    @property
    def name(self) -> str:
        """The row's directory name (before its number)."""
        return f"{self.kind}_{self.way}_{self.outcome}"

    @property
    def class_name(self) -> str:
        """The test's class (late failures have one of their own per way)."""
        late = "_late" if self.outcome in LATE else ""
        return f"Test_{self.way}{late}"

    @property
    def test_id(self) -> str:
        return f"suite.test_{self.kind}.{self.class_name}.test_{self.outcome}"

    @property
    def node_id(self) -> str:
        """The test's id under pytest."""
        if self.kind in PYTEST_KINDS:
            return f"suite/test_{self.kind}.py::test_{self.way}_{self.outcome}"
        return f"suite/test_{self.kind}.py::{self.class_name}::test_{self.outcome}"

    @property
    def dir_names(self) -> list[str]:
        """The directories the row makes: ``reset`` makes two."""
        if self.unknown:
            return [f"{self.kind}_shared0"]
        count = 2 if self.way == "reset" else 1
        return [f"{self.name}{n}" for n in range(count)]

    @property
    def kept(self) -> bool:
        """Whether the directory is kept under a runner other than pytest."""
        return self.unknown or (OUTCOMES[self.outcome] and self.outcome != "late_fx")

    @property
    def kept_by_pytest(self) -> bool:
        """Whether the directory is kept under pytest."""
        if self.kind in PYTEST_KINDS:
            return PYTEST_OUTCOMES[self.outcome]
        return self.unknown or OUTCOMES[self.outcome]

    @property
    def testtools(self) -> bool:
        return KINDS[self.kind][2]


def rows(pytest: bool = True) -> list[Row]:
    """Return every meaningful row (with ``pytest``, those of pytest's own
    kinds too).
    """
    found = []
    for kind, (_, _, is_testtools) in KINDS.items():
        for way in WAYS:
            if way == "use" and kind in ("ut", "aio"):
                continue  # no useFixture in plain unittest
            if way == "enter" and not hasattr(unittest.TestCase, "enterContext"):
                continue  # unittest 3.11+
            for outcome in OUTCOMES:
                if outcome == "expect" and not is_testtools:
                    continue
                if way == "with" and outcome in _SETUP_OUTCOMES:
                    continue  # the block is in the test body
                if outcome == "late_cu" and kind == "aio":
                    continue  # its cleanups cannot run inside its own loop
                found.append(Row(kind, way, outcome))
        if kind in ("tt", "ut"):
            found.append(Row(kind, "class", "pass", unknown=True))
    for kind in PYTEST_KINDS if pytest else ():
        for way in PYTEST_WAYS:
            for outcome in PYTEST_OUTCOMES:
                if way == "with" and outcome in ("su_err", "td_err"):
                    continue  # no fixture of its own
                found.append(Row(kind, way, outcome))
    return found


ROWS_MODULE = '''
"""What every row does; the row is read off the test's class and name."""

import sys
import threading
import unittest

import fixtures
from testtools.matchers import Equals

from fixturestmp import TempDirFixture


def row_name(case):
    return f"{case.kind}_{case.way}_{case._testMethodName[len('test_'):]}"


def explode():
    raise RuntimeError("a cleanup errors")


class Level(fixtures.Fixture):
    """A fixture that uses one more level, the last the TempDirFixture."""

    def __init__(self, name, depth):
        super().__init__()
        self.name, self.depth = name, depth

    def _setUp(self):
        if self.depth:
            self.useFixture(Level(self.name, self.depth - 1))
        else:
            self.useFixture(TempDirFixture(self.name))


def use(case, fixture):
    if hasattr(case, "useFixture"):
        return case.useFixture(fixture)
    fixture.setUp()
    case.addCleanup(fixture.cleanUp)
    return fixture


def helper(case, name):
    return _deeper_helper(case, name)


def _deeper_helper(case, name):
    fixture = TempDirFixture(name)
    fixture.setUp()
    case.addCleanup(fixture.cleanUp)
    return fixture


def make(case, way, name):
    if way == "use":
        case.useFixture(TempDirFixture(name))
    elif way == "nest":
        use(case, Level(name, 3))
    elif way == "help":
        helper(case, name)
    elif way == "man":
        fixture = TempDirFixture(name)
        fixture.setUp()
        case.addCleanup(fixture.cleanUp)
    elif way == "reset":
        fixture = TempDirFixture(name)
        fixture.setUp()
        fixture.reset()
        case.addCleanup(fixture.cleanUp)
    elif way == "enter":
        case.enterContext(TempDirFixture(name))
    elif way == "thread":
        fixture = TempDirFixture(name)
        worker = threading.Thread(target=fixture.setUp)
        worker.start()
        worker.join()
        case.addCleanup(fixture.cleanUp)


def set_up(case):
    outcome = case._testMethodName[len("test_"):]
    if outcome == "cu_before":
        case.addCleanup(explode)
    if case.way != "with":
        make(case, case.way, row_name(case))
    if outcome == "cu_after":
        case.addCleanup(explode)
    if outcome == "su_err":
        raise RuntimeError("setUp errors")
    if outcome == "su_skip":
        case.skipTest("skipped in setUp")


def body(case):
    outcome = case._testMethodName[len("test_"):]
    if case.way == "with":
        with TempDirFixture(row_name(case)) as tmp:
            (tmp.path / "evidence.txt").write_text("evidence")
    if outcome in ("fail", "xfail"):
        case.fail("the test fails")
    elif outcome == "error":
        raise RuntimeError("the test errors")
    elif outcome == "skip":
        case.skipTest("skipped")
    elif outcome == "expect":
        case.expectThat(1, Equals(2))
    elif outcome == "late_cu":
        case.doCleanups()
        case.fail("the test fails after running its own cleanups")


def report_late(case, result):
    """After run(): a failure reported once the test has ended."""
    if case._testMethodName == "test_late_run":
        try:
            raise AssertionError("a failure reported after run()")
        except AssertionError:
            result.addFailure(case, sys.exc_info())


def tear_down(case):
    if case._testMethodName == "test_td_err":
        raise RuntimeError("tearDown errors")
'''


def _case_class(kind: str, way: str, late: bool = False) -> str:
    base = KINDS[kind][0]
    outcomes = [
        r.outcome
        for r in rows(pytest=False)
        if r.kind == kind and r.way == way and (r.outcome in LATE) == late
    ]
    aio = kind == "aio"
    prefix = "async def" if aio else "def"
    name = f"Test_{way}_late" if late else f"Test_{way}"
    lines = [f"class {name}({base}):", f"    kind, way = {kind!r}, {way!r}", ""]
    if late:
        lines += [
            "    def run(self, result=None):",
            "        outcome = super().run(result)",
            "        rows.report_late(self, result)",
            "        return outcome",
            "",
        ]
    if aio:
        lines += [
            "    async def asyncSetUp(self):",
            "        rows.set_up(self)",
            "",
            "    async def asyncTearDown(self):",
            "        rows.tear_down(self)",
            "",
        ]
    else:
        lines += [
            "    def setUp(self):",
            "        super().setUp()",
            "        rows.set_up(self)",
            "",
            "    def tearDown(self):",
            "        super().tearDown()",
            "        rows.tear_down(self)",
            "",
        ]
    for outcome in outcomes:
        if outcome in ("xfail", "xpass"):
            lines.append("    @unittest.expectedFailure")
        lines += [f"    {prefix} test_{outcome}(self):", "        rows.body(self)", ""]
    return "\n".join(lines)


def _shared_class(kind: str) -> str:
    base = KINDS[kind][0]
    return textwrap.dedent(f"""
        class Test_class({base}):
            @classmethod
            def setUpClass(cls):
                super().setUpClass()
                cls.shared = TempDirFixture({kind + "_shared"!r})
                cls.shared.setUp()

            @classmethod
            def tearDownClass(cls):
                cls.shared.cleanUp()
                super().tearDownClass()

            def test_pass(self):
                (self.shared.path / "evidence.txt").write_text("evidence")
        """)


def suite_files() -> dict[str, str]:
    """Return the generated suite: ``{relative path: source}``."""
    files = {"suite/__init__.py": "", "suite/rows.py": ROWS_MODULE}
    for kind, (_, imports, _) in KINDS.items():
        header = [
            "import unittest",
            "",
            imports,
            "",
            "from fixturestmp import TempDirFixture",
            "from suite import rows",
            "",
            "",
        ]
        classes = [
            _case_class(kind, way, late) for way in WAYS for late in (False, True)
        ]
        if kind in ("tt", "ut"):
            classes.append(_shared_class(kind))
        files[f"suite/test_{kind}.py"] = "\n".join(header) + "\n\n".join(classes)
    files["suite/conftest.py"] = CONFTEST
    for kind in PYTEST_KINDS:
        files[f"suite/test_{kind}.py"] = _pytest_functions(kind)
    return files


CONFTEST = '''
import pytest


@pytest.fixture(autouse=True)
def late_fx(request):
    """A teardown that fails after the test's own, for late_fx rows."""
    yield
    if request.node.name.endswith("late_fx"):
        raise RuntimeError("an autouse fixture's teardown fails")
'''


PYTEST_HEADER = """
import pytest

from fixturestmp import TempDirFixture


def row_name(request):
    return f"pyfn_{request.node.name[len('test_'):]}"


def outcome_of(request):
    return request.node.name.split("_", 2)[2]


@pytest.fixture
def yield_dir(request):
    with TempDirFixture(row_name(request)) as tmp:
        if outcome_of(request) == "su_err":
            raise RuntimeError("the fixture errors in its setup")
        yield tmp.path
    if outcome_of(request) == "td_err":
        raise RuntimeError("the fixture errors in its teardown")


@pytest.fixture
def final_dir(request):
    fixture = TempDirFixture(row_name(request))
    fixture.setUp()
    request.addfinalizer(fixture.cleanUp)
    if outcome_of(request) == "td_err":
        request.addfinalizer(explode)  # runs first: before the cleanUp
    if outcome_of(request) == "su_err":
        raise RuntimeError("the fixture errors in its setup")
    return fixture.path


def explode():
    raise RuntimeError("a finalizer errors")


def act(outcome):
    if outcome in ("fail", "xfail"):
        assert False, "the test fails"
    elif outcome == "error":
        raise RuntimeError("the test errors")
    elif outcome == "skip":
        pytest.skip("skipped")
"""


def _pytest_functions(kind: str) -> str:
    lines = [PYTEST_HEADER]
    for row in rows():
        if row.kind != kind:
            continue
        if row.outcome in ("xfail", "xpass"):
            lines.append("@pytest.mark.xfail(strict=False)")
        if row.way == "with":
            lines += [
                f"def test_{row.way}_{row.outcome}(request):",
                "    with TempDirFixture(row_name(request)) as tmp:",
                "        (tmp.path / 'evidence.txt').write_text('evidence')",
            ]
        else:
            lines += [
                f"def test_{row.way}_{row.outcome}({row.way}_dir):",
                f"    ({row.way}_dir / 'evidence.txt').write_text('evidence')",
            ]
        lines += [f"    act({row.outcome!r})", "", ""]
    return "\n".join(lines)
