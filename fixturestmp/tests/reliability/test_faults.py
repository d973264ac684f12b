"""Fault injection: every filesystem call of a whole lifecycle fails in turn.

For each errno, run a complete lifecycle (three sessions: numbered with
failures, numbered without, explicit basetemp; small, big and failing test
directories; testtools cases; pruning of old sessions, abandoned trash and
garbage) once per eligible call k, making the k-th call fail, until a run
completes without reaching k. After every run: the fault was reported with
a message naming the path of the call that failed, or had no effect;
nothing is held (descriptor, lock, thread, owner record, registration); no
user data and no retained test directory was lost (each counted as it was
made, and compared with the disk after the run); and the next session,
without faults, works and leaves nothing behind.
"""

import errno
import os
import re
import shutil
import warnings

import testtools

import fixturestmp
from fixturestmp._store import owners
from fixturestmp._store.manifest import read_manifest
from fixturestmp.tests.support import IsolatedTestCase
from fixturestmp.tests.support.faults import ERRNOS, FaultInjector
from fixturestmp.tests.support.reliability import (
    LeakProbe,
    Survivors,
    make_user_tree,
    messages,
    record_figures,
    snapshot,
)

DEAD = "99999999-1.00"  # an owner token no process can have
# An error of the library itself, on an error path, hiding the real error.
CRASH = re.compile(
    r"\b(AttributeError|TypeError|KeyError|NameError|UnboundLocalError|"
    r"IndexError|AssertionError|RecursionError|UnicodeError|ValueError)\b"
)


class Boom(Exception):
    """The failure of a test under test."""


class Case(testtools.TestCase):
    session: fixturestmp.SessionTempFixture | None = None
    scenario: "Scenario"

    def fails(self):
        tmp = self.useFixture(fixturestmp.TempDirFixture(session=self.session))
        (tmp.path / "evidence").write_text("failed")
        self.scenario.keep(tmp.path)
        raise Boom("the test under test fails")

    def passes(self):
        tmp = self.useFixture(fixturestmp.TempDirFixture(session=self.session))
        (tmp.path / "evidence").write_text("passed")


class Scenario:
    """One lifecycle in a private root, what it reported and what it kept.

    :ivar survivors: What must survive the run, counted as it is made: the
        user's tree and file, the retained test directories.
    :ivar kept: The retained test directories, in order.
    """

    def __init__(self, root) -> None:
        self.root = root
        self.base = root / fixturestmp._store.basedir.base_name()
        self.user = root / "user-data"
        self.explicit = root / "explicit"
        make_user_tree(self.user)

    def prepare(self) -> None:
        """Lay out what earlier, dead runs left: sessions, trash, garbage."""
        for path in (self.base, self.explicit):
            if path.exists():
                shutil.rmtree(path)
        self.base.mkdir(mode=0o700)
        for number, kept in ((0, "old_failed0"), (1, "failed0")):
            session = self.base / f"run-{number}"
            (session / owners.OWNERS_DIR).mkdir(parents=True)
            (session / ".fixturestmp").touch()
            (session / owners.OWNERS_DIR / DEAD).touch()
            (session / kept).mkdir()
            (session / kept / "evidence").write_text("old")
            (session / kept / "to-user").symlink_to(self.user)
        (self.base / "run-1" / ".trash" / f"{DEAD}-1" / "sub").mkdir(parents=True)
        garbage = self.base / f".garbage-{DEAD}-0badf00d-run-x" / "sub"
        garbage.mkdir(parents=True)
        (garbage / "to-user").symlink_to(self.user)
        (self.base / ".last-number").write_text("1\n")
        (self.base / "run-current").symlink_to("run-1")
        self.explicit.mkdir()
        (self.explicit / ".fixturestmp").touch()
        (self.explicit / "notes.txt").write_text("mine")
        self.survivors = Survivors()
        self.survivors.add_tree(self.user)
        self.survivors.add(self.explicit / "notes.txt")
        self.kept: list = []
        self.keep(self.base / "run-1" / "failed0")
        self.sessions: list[fixturestmp.SessionTempFixture] = []
        self.reports: list[str] = []

    def keep(self, path) -> None:
        """Count a retained test directory, as it is now, among survivors."""
        self.kept.append(path)
        self.survivors.add_tree(path)

    def run(self) -> None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for step in (self.failing_session, self.passing_session, self.basetemp):
                try:
                    step()
                except Exception as error:
                    self.reports.append(messages(error))
        self.reports += [f"{w.category.__name__}: {w.message}" for w in caught]

    def fill(self, path, big: bool) -> None:
        (path / "evidence").write_text("evidence")
        (path / "to-user").symlink_to(self.user)
        if big:
            (path / "sub" / "ro").mkdir(parents=True)
            (path / "sub" / "ro" / "f").write_text("f")
            os.chmod(path / "sub" / "ro", 0o500)

    def new_session(self, *args, **kwargs) -> fixturestmp.SessionTempFixture:
        session = fixturestmp.SessionTempFixture(*args, **kwargs)
        self.sessions.append(session)
        return session

    def failing_session(self) -> None:
        session = self.new_session(
            root=self.root, retention_count=2, retention_policy="failed"
        )
        with session:
            with fixturestmp.TempDirFixture("small", session=session) as tmp:
                self.fill(tmp.path, big=False)
            with fixturestmp.TempDirFixture("big", session=session) as tmp:
                self.fill(tmp.path, big=True)
            try:
                with fixturestmp.TempDirFixture("failing", session=session) as tmp:
                    self.fill(tmp.path, big=True)
                    self.keep(tmp.path)
                    raise Boom("a with block fails")
            except Boom:
                pass
            Case.session, Case.scenario = session, self
            result = testtools.TestResult()
            for name in ("fails", "passes"):
                Case(name).run(result)
            self.reports += [text for _, text in result.errors + result.failures]

    def passing_session(self) -> None:
        session = self.new_session(
            root=self.root, retention_count=3, retention_policy="none"
        )
        with session:
            with fixturestmp.TempDirFixture("big", session=session) as tmp:
                self.fill(tmp.path, big=True)

    def basetemp(self) -> None:
        session = self.new_session(self.explicit, retention_policy="none")
        with session:
            with fixturestmp.TempDirFixture("in_explicit", session=session) as tmp:
                self.fill(tmp.path, big=False)

    def state(self, foreign=()) -> list[tuple[str, str]]:
        """The root's entries, numbers left out, manifests as their test ids.

        Numbers are left out because a name taken by someone else (an
        ``EEXIST``) rightly moves a directory to the next number; what
        someone else made (``foreign``) is left out too.
        """
        found = snapshot(self.root)
        for relative in list(found):
            if relative.endswith(".manifest.jsonl"):
                ids = [
                    r.get("id", f"{r.get('count')} removed")
                    for r in read_manifest((self.root / relative).parent)
                ]
                found[relative] = ",".join(ids)
        skip = [os.path.relpath(path, self.root) for path in foreign]
        return sorted(
            (re.sub(r"\d+", "N", key), re.sub(r"\d+", "N", value))
            for key, value in found.items()
            if not any(key == s or key.startswith(s + "/") for s in skip)
        )

    def next_sessions_clean_up(self, foreign=()) -> list[str]:
        """Run fault-free sessions; return what they failed to clean."""
        problems = []
        try:
            with fixturestmp.SessionTempFixture(
                root=self.root, retention_count=0, retention_policy="none"
            ) as session:
                with fixturestmp.TempDirFixture(session=session):
                    pass
            with fixturestmp.SessionTempFixture(
                self.explicit, retention_policy="none"
            ) as session:
                with fixturestmp.TempDirFixture(session=session):
                    pass
        except Exception as error:
            return [f"the next session failed: {messages(error)}"]
        foreign = {os.path.basename(p) for p in foreign}
        left = sorted(set(os.listdir(self.base)) - {".lock", ".last-number"} - foreign)
        if left:
            problems.append(f"left in the base directory: {left}")
        said = "\n".join(self.reports)
        own = {"notes.txt", ".fixturestmp"} | foreign
        for name in sorted(set(os.listdir(self.explicit)) - own):
            if name not in said:
                problems.append(f"left in the explicit basetemp, unreported: {name}")
        return problems


class TestFaultInjection(IsolatedTestCase):
    def inject_each(self, number: int) -> None:
        scenario = Scenario(self.root)
        scenario.prepare()
        scenario.run()  # Warm up lazy imports and caches before counting fds.
        scenario.prepare()
        scenario.run()
        self.assertEqual([], [r for r in scenario.reports if "Boom" not in r])
        self.assertEqual(3, len(scenario.kept))
        # Counted as made: the user's tree (7 entries) and file; retained
        # trees of 3 (run-1/failed0), 6 (a big one) and 2 entries.
        self.assertEqual(7 + 1 + 3 + 6 + 2, len(scenario.survivors.expected))
        self.assertEqual([], scenario.survivors.missing())
        expected = scenario.state()
        scenario.prepare()
        with FaultInjector(number, 0) as counter:
            scenario.run()
        probe = LeakProbe()
        strerror = self.why = os.strerror(number)
        figures = dict.fromkeys(
            ("runs", "faults", "reported", "harmless", "expected", "found", "lost"), 0
        )
        by_operation: dict[str, int] = {}
        problems: list[str] = []
        k = 0
        while True:
            k += 1
            scenario.prepare()
            injector = FaultInjector(number, k)
            with injector:
                scenario.run()
            figures["runs"] += 1
            if injector.injected is None:
                self.assertEqual([], [r for r in scenario.reports if "Boom" not in r])
                break
            op, args = injector.injected
            where = f"fault {k}: {errno.errorcode[number]} from {op}{args!r}"
            figures["faults"] += 1
            by_operation[op] = by_operation.get(op, 0) + 1
            for key, value in scenario.survivors.count().items():
                figures[key] += value
            found = scenario.survivors.missing()
            for report in scenario.reports:
                crash = CRASH.search(report)
                if crash:
                    found.append(f"the library crashed: {crash.group()} in {report}")
            said = [r for r in scenario.reports if strerror in r]
            if said:
                figures["reported"] += 1
                found += self.unclear(said, injector.paths)
            else:
                figures["harmless"] += 1
                state = scenario.state(injector.created)
                if expected not in (state, scenario.state()):
                    changed = sorted(set(state) ^ set(expected))
                    found.append(f"silent, yet the result differs: {changed}")
            found += probe.problems(scenario.base, scenario.sessions)
            found += scenario.next_sessions_clean_up(injector.created)
            found += probe.owner_records(scenario.base, [scenario.explicit])
            problems += [f"{where}: {problem}" for problem in found]
        self.assertEqual([], problems[:20], f"{len(problems)} problems")
        # Every eligible call failed once (the trash thread may shift a few).
        self.assertGreaterEqual(figures["faults"], counter.calls - 2)
        self.assertGreater(figures["faults"], 0)
        record_figures(
            self,
            f"faults-{errno.errorcode[number]}",
            {**figures, "by_operation": by_operation},
        )

    def unclear(self, said, paths) -> list[str]:
        """The report must name the path the failed call was about.

        The full path (either one of a rename), as the failed call had it:
        not merely some path under the root, nor a name that is in every path.
        """
        # Only the lines that give the error, not the test's details.
        text = "\n".join(
            line for r in said for line in r.splitlines() if self.why in line
        )
        if any(path in text for path in paths):
            return []
        return [f"the error does not name {' or '.join(paths)}: {text!r}"]


def _make_test(number):
    def test(self):
        self.inject_each(number)

    test.__name__ = f"test_{errno.errorcode[number].lower()}"
    test.__doc__ = f"Every eligible call fails with {errno.errorcode[number]}."
    return test


for _number in ERRNOS:
    setattr(TestFaultInjection, _make_test(_number).__name__, _make_test(_number))
