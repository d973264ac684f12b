"""The library's own memory stays flat over 10,000 tests in one process.

A fresh interpreter runs 10,000 testtools tests, each using a
TempDirFixture in one session, in batches of 1,000, and after each batch
(after ``gc.collect()``) measures:

- the memory fixturestmp's own code holds: tracemalloc traces whose
  allocating line is in ``fixturestmp/`` (tests excluded);
- the process's RSS.

Bounds, after two batches of warm-up (caches, the manifest's batch, the
trash thread, interned path strings): fixturestmp's own memory may not grow
by more than 8 KiB over the last 7,000 tests, i.e. about one byte per test;
any object kept per test (the smallest is 16 bytes, a dict entry tens)
would add over 100 KiB. RSS, less what pathlib's own code holds (Python
3.12 and later intern every path part pathlib parses: a string per new
directory name, the interpreter's growth, not fixturestmp's), may not grow
by more than 2 MiB (under 300 bytes per test), which leaves room for the
allocator's arenas and one-off resizes of CPython's own tables (the
interned strings' table's resize alone is about 1 MiB).

The one thing that does grow is, by design, the numbering memory: one small
entry per distinct directory name, so that a name's numbers are never
reused in a session (pytest reuses them). It is measured separately and
bounded per name.
"""

import json

from testtools.testcase import WithAttributes, attr

from fixturestmp.tests.support import IsolatedTestCase, run_python
from fixturestmp.tests.support.reliability import record_figures

BATCHES = 10
PER_BATCH = 1000
WARM_UP = 3  # batches
OWN_BOUND = 8 * 1024
RSS_BOUND = 2 * 1024 * 1024
PER_NAME_BOUND = 200
DISTINCT = 2000

SCRIPT = """
import gc, json, os, sys, tracemalloc
import psutil, testtools
import fixturestmp

session = fixturestmp.SessionTempFixture(
    root=sys.argv[1], retention_policy="failed", retention_count=1
)
session.setUp()


class Case(testtools.TestCase):
    def use(self):
        tmp = self.useFixture(fixturestmp.TempDirFixture(session=session))
        (tmp.path / "f").write_text("x")


# Names repeat across classes in real suites: 100 method names.
NAMES = [f"test_{i:03d}" for i in range(100)]
for name in NAMES:
    setattr(Case, name, Case.use)
OWN = [
    tracemalloc.Filter(True, "*/fixturestmp/*"),
    tracemalloc.Filter(False, "*/fixturestmp/tests/*"),
]
# pathlib's own memory: Python 3.12 and later intern every path part it
# parses, and every test directory's name is new.
PATHLIB = [tracemalloc.Filter(True, "*/pathlib*")]


def measure():
    gc.collect()
    snapshot = tracemalloc.take_snapshot()
    own = sum(
        stat.size for stat in snapshot.filter_traces(OWN).statistics("filename")
    )
    pathlib = sum(
        stat.size for stat in snapshot.filter_traces(PATHLIB).statistics("filename")
    )
    del snapshot
    return {
        "own": own, "pathlib": pathlib, "rss": psutil.Process().memory_info().rss
    }


tracemalloc.start(1)
result = testtools.TestResult()
samples = []
for batch in range(int(sys.argv[2])):
    for number in range(int(sys.argv[3])):
        Case(NAMES[number % len(NAMES)]).run(result)
    samples.append(measure())
before = measure()
for number in range(int(sys.argv[4])):
    name = f"distinct_{number:05d}"
    setattr(Case, name, Case.use)
    Case(name).run(result)
    delattr(Case, name)
after = measure()
# Every test passed: none of their directories may be left.
left = [name for name in os.listdir(session.path) if not name.startswith(".")]
session.cleanUp()
print(json.dumps({
    "ok": result.wasSuccessful(), "tests": result.testsRun, "left": len(left),
    "samples": samples, "per_name": (after["own"] - before["own"]) / int(sys.argv[4]),
}))
"""


class TestMemory(WithAttributes, IsolatedTestCase):
    @attr("slow")
    def test_own_memory_is_flat_over_ten_thousand_tests(self):
        args = [str(self.root), str(BATCHES), str(PER_BATCH), str(DISTINCT)]
        run = run_python(["-c", SCRIPT, *args], self.workdir)
        self.assertEqual(0, run.returncode, run.stderr)
        report = json.loads(run.stdout)
        self.assertTrue(report["ok"])
        self.assertEqual(BATCHES * PER_BATCH + DISTINCT, report["tests"])
        self.assertEqual(0, report["left"])
        samples = report["samples"][WARM_UP - 1 :]
        own = [s["own"] for s in samples]
        # What pathlib keeps for itself (3.12+: an interned string per new
        # path part) is the interpreter's, not fixturestmp's.
        rss = [s["rss"] - s["pathlib"] for s in samples]
        detail = json.dumps(report["samples"])
        # The batch of passed tests' manifest records comes and goes: look
        # at the least held after warm-up and at the end, not at a peak.
        self.assertLess(min(own[-3:]) - min(own[:3]), OWN_BOUND, detail)
        self.assertLess(rss[-1] - rss[0], RSS_BOUND, detail)
        self.assertLess(report["per_name"], PER_NAME_BOUND, detail)
        tests = (BATCHES - WARM_UP + 1) * PER_BATCH
        record_figures(
            self,
            "memory",
            {
                "tests": report["tests"],
                "own_growth_bytes": min(own[-3:]) - min(own[:3]),
                "own_bytes_per_test": round((min(own[-3:]) - min(own[:3])) / tests, 3),
                "rss_growth_bytes_less_pathlib": rss[-1] - rss[0],
                "bytes_per_distinct_name": round(report["per_name"], 1),
                "dirs_left": report["left"],
            },
        )
