"""Tests for the ``memory`` leak check, with real allocations.

RSS is noisy, so every threshold here is far from the noise: 50 MB kept
against a 10 MiB limit, hundreds of MB churned against the same limit.
"""

import gc
import os

import fixtures
import psutil
import testtools
from testtools.matchers import Contains, MatchesRegex

from fixturestmp import leaks
from fixturestmp._store.manifest import read_manifest
from fixturestmp.leaks import memory
from fixturestmp.tests.support import run_python, write_files
from fixturestmp.tests.support.forked import in_forked_child
from fixturestmp.tests.support.leaks import LeakTestCase, details_text, run_case

# Kept alive across the check's second measurement, released by the test.
KEPT: list[bytes] = []

CHURN_SUITE = {
    "setup.cfg": """
        [fixturestmp]
        leak_checks = all
        leak_action = fail
    """,
    "churn/__init__.py": "",
    "churn/test_churn.py": """
        import importlib

        import fixturestmp

        STDLIB = [
            "argparse", "bisect", "calendar", "codecs", "configparser", "csv",
            "dataclasses", "decimal", "difflib", "email.mime.text", "enum",
            "fractions", "heapq", "html.parser", "http.client", "ipaddress",
            "json", "logging.handlers", "pprint", "sqlite3", "statistics",
            "string", "struct", "tarfile", "textwrap", "urllib.request",
            "xml.dom.minidom", "zipfile",
        ]
        KEPT = []


        class TestChurn(fixturestmp.TestCase):
            pass


        def make_test(number):
            def test(self):
                importlib.import_module(f"churn.mods.mod_{number:03d}")
                importlib.import_module(STDLIB[number % len(STDLIB)])
                size = 20_000 + 200 * number
                strings = [str(j) * (number % 7 + 1) for j in range(size)]
                table = {j: [j] for j in range(size)}
                blob = bytearray(b"\\x01") * (2_000_000 * (number % 8 + 1))
                del strings, table, blob
            return test


        for number in range(200):
            setattr(TestChurn, f"test_{number:03d}", make_test(number))


        class TestKeeps(fixturestmp.TestCase):
            def test_keeps_50mb(self):
                KEPT.append(b"\\x01" * 50_000_000)
    """,
    "churn/mods/__init__.py": "",
}


class TestMemoryLeakCheck(LeakTestCase):
    def test_keeping_50mb_is_reported_near_50mb(self):
        self.addCleanup(KEPT.clear)
        with leaks.MemoryLeakCheck(memory_leak_limit="10MiB", test_id="t") as check:
            KEPT.append(b"\x01" * 50_000_000)
        [leak] = check.leaks
        self.assertEqual("memory", leak.check)
        self.assertTrue(45 * 10**6 < leak.size < 60 * 10**6, leak.size)
        self.assertThat(leak.summary, MatchesRegex(r"LEAKED (4[5-9]|5\d)\.\dMB in t$"))
        self.assertThat(leak.detail, Contains("memory_leak_limit is 10.5MB"))
        [record] = self.leak_records()
        self.assertEqual(leak.size, record["size"])

    def test_allocating_and_freeing_200mb_four_times_is_not_reported(self):
        with leaks.MemoryLeakCheck(memory_leak_limit="10MiB") as check:
            for _ in range(4):
                data = b"\x01" * 200_000_000
                del data
                # Many small objects and a large list: the heap, not mmap.
                strings = [str(number) for number in range(2_000_000)]
                del strings
        self.assertEqual([], check.leaks)

    def test_garbage_in_reference_cycles_is_not_a_leak(self):
        class Node:
            pass

        with leaks.MemoryLeakCheck(memory_leak_limit="10MiB") as check:
            gc.disable()
            try:
                for _ in range(3):
                    node = Node()
                    node.self = node
                    node.data = b"\x01" * 30_000_000
                    del node
            finally:
                gc.enable()
        self.assertEqual([], check.leaks)

    def test_reported_as_a_detail_of_the_case(self):
        class Keeps(testtools.TestCase):
            def test_keeps(self):
                self.useFixture(
                    leaks.LeakCheck(checks="memory", memory_leak_limit="10MiB")
                )
                KEPT.append(b"\x01" * 50_000_000)

        self.addCleanup(KEPT.clear)
        case = Keeps("test_keeps")
        # Cyclic garbage left by earlier tests of this process would be
        # collected while the growth is confirmed, understating it by as
        # much (as documented): the exact figure needs none to start with.
        memory.prepare()
        self.assertTrue(run_case(case).wasSuccessful())
        self.assertThat(
            details_text(case)["leak-memory"],
            MatchesRegex(rf"LEAKED 5\d\.\dMB in {case.id()}\nRSS grew by ", 16),
        )


class TestChurningSuite(LeakTestCase):
    """200 tests that import modules and churn memory, and one that keeps
    50 MB, in a real run with every check and leak_action = fail."""

    def test_only_the_test_that_keeps_memory_is_reported(self):
        write_files(self.workdir, CHURN_SUITE)
        for number in range(200):
            write_files(
                self.workdir,
                {
                    f"churn/mods/mod_{number:03d}.py": f"""
                        TABLE = {{i: str(i) * {number % 5 + 1} for i in range(5000)}}

                        class Thing{number}:
                            size = len(TABLE)
                    """
                },
            )
        env = {"TMPDIR": str(self.tmpdir), "FIXTURESTMP_SESSION": str(self.sess.path)}
        done = run_python(
            ["-m", "testtools.run", "churn.test_churn"], self.workdir, env
        )
        output = done.stdout + done.stderr
        self.assertEqual(1, done.returncode, output)
        self.assertThat(output, Contains("Ran 201 tests"))
        self.assertThat(output, Contains("FAILED (failures=1)"))
        self.assertThat(
            output, Contains("FAIL: churn.test_churn.TestKeeps.test_keeps_50mb")
        )
        [record] = self.leak_records()
        self.assertEqual("churn.test_churn.TestKeeps.test_keeps_50mb", record["id"])
        self.assertEqual("memory", record["check"])
        self.assertTrue(45 * 10**6 < record["size"] < 60 * 10**6, record)
        self.assertThat(record["summary"], MatchesRegex(r"LEAKED 5\d\.\dMB in "))


class TestCheapPath(LeakTestCase):
    """Garbage is collected only to confirm growth past the limit."""

    def setUp(self):
        super().setUp()
        self.collections: list[int] = []

        def seen(phase, info):
            if phase == "start":
                self.collections.append(info["generation"])

        # Automatic collections off: every collection seen is the check's.
        was_enabled = gc.isenabled()
        gc.disable()
        self.addCleanup(lambda: gc.enable() if was_enabled else None)
        gc.callbacks.append(seen)
        self.addCleanup(gc.callbacks.remove, seen)

    def test_no_collection_below_the_limit(self):
        with leaks.MemoryLeakCheck(memory_leak_limit="10MiB") as check:
            data = [str(number) for number in range(100_000)]
            del data
        self.assertEqual([], self.collections)
        self.assertFalse(check.confirmed)
        self.assertEqual([], check.leaks)

    def test_growth_past_the_limit_is_confirmed_by_a_collection(self):
        self.addCleanup(KEPT.clear)
        with leaks.MemoryLeakCheck(memory_leak_limit="10MiB") as check:
            KEPT.append(b"\x01" * 50_000_000)
        self.assertTrue(check.confirmed)
        self.assertIn(2, self.collections)
        [leak] = check.leaks
        self.assertTrue(45 * 10**6 < leak.size < 60 * 10**6, leak.size)

    def test_garbage_past_the_limit_is_collected_and_not_reported(self):
        class Node:
            pass

        with leaks.MemoryLeakCheck(memory_leak_limit="10MiB") as check:
            node = Node()
            node.self = node
            node.data = b"\x01" * 50_000_000
            del node
        self.assertTrue(check.confirmed)
        self.assertIn(2, self.collections)
        self.assertEqual([], check.leaks)


RECORDS_SUITE = {
    "recorded/__init__.py": "",
    "recorded/test_recorded.py": """
        import fixturestmp

        KEPT = []


        class TestRecorded(fixturestmp.TestCase):
            def test_a(self):
                pass

            def test_b_keeps_50mb(self):
                KEPT.append(b"\\x01" * 50_000_000)

            def test_c(self):
                pass
    """,
}


class TestMemoryRecords(LeakTestCase):
    def test_every_test_is_recorded_in_order(self):
        write_files(self.workdir, RECORDS_SUITE)
        env = {
            "TMPDIR": str(self.tmpdir),
            "FIXTURESTMP_SESSION": str(self.sess.path),
            "FIXTURESTMP_LEAK_CHECKS": "memory",
        }
        done = run_python(
            ["-m", "testtools.run", "recorded.test_recorded"], self.workdir, env
        )
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)
        records = [
            r for r in read_manifest(self.sess.path) if r.get("kind") == "memory"
        ]
        prefix = "recorded.test_recorded.TestRecorded."
        self.assertEqual(
            [prefix + name for name in ("test_a", "test_b_keeps_50mb", "test_c")],
            [r["id"] for r in records],
        )
        self.assertEqual([0, 1, 2], [r["seq"] for r in records])
        self.assertEqual(1, len({r["pid"] for r in records}))
        for record in records:
            self.assertEqual(
                {"kind", "id", "before", "after", "seq", "pid"}, set(record)
            )
            self.assertIsInstance(record["before"], int)
            self.assertGreater(record["before"], 0)
        keeps = records[1]["after"] - records[1]["before"]
        self.assertTrue(45 * 10**6 < keeps < 60 * 10**6, records[1])
        [leak] = self.leak_records()
        self.assertEqual(prefix + "test_b_keeps_50mb", leak["id"])

    def test_nothing_is_recorded_without_a_session(self):
        from fixturestmp._fixtures import session

        self.useFixture(
            fixtures.MonkeyPatch("fixturestmp._fixtures.session._default", None)
        )
        with leaks.MemoryLeakCheck(memory_leak_limit="10MiB", test_id="t"):
            pass
        self.assertIsNone(session._default)
        self.assertEqual([self.sess.path.name], self.sessions())

    def test_recorded_in_the_session_given(self):
        with leaks.MemoryLeakCheck(session=self.sess, test_id="t") as check:
            pass
        self.sess.manifest.flush()
        [record] = [r for r in read_manifest(self.sess.path) if r["kind"] == "memory"]
        self.assertEqual("t", record["id"])
        self.assertFalse(check.confirmed)

    def test_session_variable_is_the_sessions(self):
        from fixturestmp._fixtures.session import SESSION_ENV
        from fixturestmp.leaks import reporting as report

        self.assertEqual(SESSION_ENV, report.SESSION_ENV)


class TestForkedChild(LeakTestCase):
    def test_a_forked_child_reads_its_own_rss(self):
        from fixturestmp.leaks.memory import rss, settled_rss

        settled_rss()  # The parent's process and figures, known before the fork.

        def child():
            grown = b"x" * 64_000_000  # Resident in the child only.
            parent = psutil.Process(os.getppid()).memory_info().rss
            return [rss() - parent, settled_rss() - parent, len(grown)]

        by_rss, by_settled, _ = in_forked_child(child)
        self.assertGreater(by_rss, 32_000_000)
        self.assertGreater(by_settled, 32_000_000)

    def test_a_forked_child_numbers_its_own_records_from_zero(self):
        from fixturestmp.leaks.reporting import record_memory

        for test_id in ("before0", "before1"):
            record_memory(test_id, 1, 2, session=self.sess)

        def child():
            record_memory("child", 1, 2, session=self.sess)
            self.sess.manifest.flush()
            return os.getpid()

        child_pid = in_forked_child(child)
        record_memory("after", 1, 2, session=self.sess)
        self.sess.manifest.flush()
        records = {
            r["id"]: (r["seq"], r["pid"])
            for r in read_manifest(self.sess.path)
            if r["kind"] == "memory"
        }
        self.assertEqual((0, child_pid), records["child"])
        # The child's 0 is its own: the parent's numbers were past 0.
        first, parent = records["before0"]
        self.assertEqual(
            [(first + 1, parent), (first + 2, parent), os.getpid()],
            [records["before1"], records["after"], parent],
        )
