"""The outcome matrix: kinds of test case x ways of reaching the fixture x
outcomes, written out as a real suite that every runner can run.

Each row is one test method; its directory is named after the row, so the
disk, the ``tmp-path`` details and the ``fixturestmp run`` summary can be
checked row by row after a run.
"""

import textwrap
import unittest
from dataclasses import dataclass

__all__ = ["KINDS", "OUTCOMES", "WAYS", "Row", "rows", "suite_files"]

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
}

_SETUP_OUTCOMES = {"su_err", "su_skip"}


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
    def test_id(self) -> str:
        return f"suite.test_{self.kind}.Test_{self.way}.test_{self.outcome}"

    @property
    def dir_names(self) -> list[str]:
        """The directories the row makes: ``reset`` makes two."""
        if self.unknown:
            return [f"{self.kind}_shared0"]
        count = 2 if self.way == "reset" else 1
        return [f"{self.name}{n}" for n in range(count)]

    @property
    def kept(self) -> bool:
        return self.unknown or OUTCOMES[self.outcome]

    @property
    def testtools(self) -> bool:
        return KINDS[self.kind][2]


def rows() -> list[Row]:
    """Return every meaningful row."""
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
                found.append(Row(kind, way, outcome))
        if kind in ("tt", "ut"):
            found.append(Row(kind, "class", "pass", unknown=True))
    return found


ROWS_MODULE = '''
"""What every row does; the row is read off the test's class and name."""

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


def tear_down(case):
    if case._testMethodName == "test_td_err":
        raise RuntimeError("tearDown errors")
'''


def _case_class(kind: str, way: str) -> str:
    base = KINDS[kind][0]
    outcomes = [r.outcome for r in rows() if r.kind == kind and r.way == way]
    aio = kind == "aio"
    prefix = "async def" if aio else "def"
    lines = [f"class Test_{way}({base}):", f"    kind, way = {kind!r}, {way!r}", ""]
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
        classes = [_case_class(kind, way) for way in WAYS]
        if kind in ("tt", "ut"):
            classes.append(_shared_class(kind))
        files[f"suite/test_{kind}.py"] = "\n".join(header) + "\n\n".join(classes)
    return files
