"""Tests for fixturestmp._cli.report_data and reporthtml on sessions written here.

The sessions are real directories with manifests written through
:class:`~fixturestmp._store.manifest.ManifestWriter`, as the test processes of a
run write them; test_report_html.py covers a real run end to end.
"""

import json
import os

from fixturestmp._cli import report_data
from fixturestmp._cli.report_data import build_report, memory_series
from fixturestmp._cli.report_html import render_html
from fixturestmp._store.inventory import read_session
from fixturestmp._store.manifest import ManifestWriter
from fixturestmp._store.selection import Selection
from fixturestmp.tests.support import IsolatedTestCase, run_cli
from fixturestmp.tests.support.htmlpage import parse


def memory(test_id, before, after, seq, pid=1):
    return {"kind": "memory", "id": test_id, "before": before, "after": after,
            "seq": seq, "pid": pid}  # fmt: skip


class ReportTestCase(IsolatedTestCase):
    def report_of(self, records, tests=()):
        session = self.root / "run-0"
        session.mkdir(exist_ok=True)
        writer = ManifestWriter(session)
        for record in records:
            writer.append(record, urgent=False)
        for test_id, path in tests:
            writer.append({"kind": "test", "id": test_id, "path": str(path),
                           "outcome": "failed", "retained": True, "pid": 1,
                           "time": 0.0})  # fmt: skip
        writer.close()
        return build_report(Selection(read_session(session, 0)))


class TestMemorySeries(ReportTestCase):
    def test_processes_ordered_by_seq_and_top_growers(self):
        records = [
            memory("b", 100, 100, 1, pid=7),
            memory("a", 100, 50_000_100, 0, pid=7),
            memory("c", 10, 30_000_010, 0, pid=3),
            memory("tiny", 10, 90_010, 1, pid=3),  # below MIN_GROWTH
            {"kind": "memory", "id": "broken", "before": "x", "after": 1},
        ]
        series = memory_series(records)
        self.assertEqual([3, 7], [p["pid"] for p in series["processes"]])
        self.assertEqual(["a", "b"], [t["id"] for t in series["processes"][1]["tests"]])
        self.assertEqual(["a", "c"], [t["id"] for t in series["top"]])
        self.assertEqual(50_000_000, series["top"][0]["growth"])
        self.assertEqual(50_000_100, series["peak"])

    def test_ten_thousand_tests_make_one_short_path_per_process(self):
        records = [memory(f"t{n}", n * 1000, n * 1000 + (n == 4321) * 10**8, n)
                   for n in range(10_000)]  # fmt: skip
        page = parse(render_html(self.report_of(records)))
        (path,) = page.find("path", "rss")
        # At most two points a pixel column: under 2,000 of the 10,000.
        self.assertLess(path[0]["d"].count("L"), 2000)
        dots = page.find("circle", "grower")
        self.assertEqual("t4321", dots[0][0]["data-test"])
        self.assertLessEqual(len(dots), report_data.TOP_GROWERS)
        # The spike survives the thinning: its column keeps its highest point.
        highest = min(float(p.split(",")[1]) for p in path[0]["d"][1:].split("L"))
        self.assertEqual(float(dots[0][0]["cy"]), highest)


class TestPage(ReportTestCase):
    def test_hostile_names_are_escaped(self):
        hostile = "t.<script>alert(1)</script>&\"'"
        kept = self.root / "kept0"
        kept.mkdir()
        (kept / "<b onclick=x()>bold.txt").write_text("</pre><script>x()</script>\n")
        data = self.report_of([memory(hostile, 0, 10**8, 0)], [(hostile, kept)])
        html = render_html(data)
        page = parse(html)
        self.assertEqual([], page.find("script"))
        self.assertIn("<b onclick=x()>bold.txt", page.find("pre", "listing")[0][1])
        (section,) = page.find("section", "failed-test")
        self.assertEqual(hostile, section[0]["data-test"])
        self.assertIn("</pre><script>x()</script>", page.find("pre", "preview")[0][1])

    def test_listing_and_detailed_failures_are_capped(self):
        tests = []
        for number in range(report_data.DETAILED_FAILURES + 3):
            kept = self.root / f"kept{number}"
            kept.mkdir()
            for name in range(report_data.LISTING_LIMIT + 7 if number == 0 else 1):
                (kept / f"f{name:03d}").write_text("x")
            tests.append((f"t.test_{number:04d}", kept))
        data = self.report_of([], tests)
        first, last = data["failed"][0], data["failed"][-1]
        self.assertEqual(report_data.LISTING_LIMIT, len(first["listing"]))
        self.assertEqual(7, first["listing_more"])
        self.assertEqual(report_data.PREVIEW_FILES, len(first["previews"]))
        self.assertNotIn("listing", last)
        self.assertEqual(report_data.DETAILED_FAILURES + 3, len(data["failed"]))
        self.assertIsNone(data["memory"])
        page = parse(render_html(data))
        self.assertEqual([], page.find("svg"))
        self.assertEqual(
            report_data.DETAILED_FAILURES, len(page.find("pre", "listing"))
        )


class TestOddNames(ReportTestCase):
    """File names are bytes, test ids any text: every output stays valid."""

    def test_undecodable_and_control_characters(self):
        kept = self.root / "run-0" / "kept0"
        kept.mkdir(parents=True)
        with open(os.fsencode(kept) + b"/\xff\x1b[31mred.txt", "wb") as stream:
            stream.write(b"line \xff\n")
        os.symlink(b"\xfe-target", os.fsencode(kept) + b"/\xfelink")
        odd_id = "t.test_\udcff\x1b[2J"
        self.report_of([memory(odd_id, 0, 10**8, 0)], [(odd_id, kept)])
        session = str(self.root / "run-0")
        page = self.root / "page.html"
        for args in (["report", "--session", session, "-o", str(page)],
                     ["report", "--session", session, "--json"],
                     ["collect", str(self.root / "out"), "--session", session],
                     ["collect", str(self.root / "out.tgz"), "--archive",
                      "--session", session]):  # fmt: skip
            done = run_cli(*args, cwd=self.workdir, timeout=120, text=False)
            self.assertEqual(0, done.returncode, done.stderr)
            self.assertNotIn(b"\x1b", done.stdout)
            if "--json" in args:
                data = json.loads(done.stdout.decode("utf-8"))  # strict UTF-8
                names = {e["path"] for e in data["failed"][0]["listing"]}
                self.assertEqual({"\\udcff\\x1b[31mred.txt", "\\udcfelink"}, names)
        html = page.read_bytes().decode("utf-8")
        self.assertNotIn("\x1b", html)
        self.assertIn("\\udcff\\x1b[31mred.txt", html)
        index = (self.root / "out" / "run-0" / "INDEX.txt").read_bytes()
        self.assertNotIn(b"\x1b", index)
        self.assertIn(b"t.test_\\udcff\\x1b[2J", index)
        self.assertIn(b"kept0/\\udcfelink -> \\udcfe-target", index)
        copy = self.root / "out" / "run-0" / "tests" / "kept0"
        copied = os.listdir(os.fsencode(copy))
        self.assertIn(b"\xff\x1b[31mred.txt", copied)
