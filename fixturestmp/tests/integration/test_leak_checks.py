"""The leak checks in real pytest and stestr runs: what must not be reported
(the false-report classes seen on real suites) and what must.

False: temp entries of a class- or module-scoped fixture removed when its
scope ends, a child killed and not yet waited for (still exiting),
multiprocessing's own heap descriptor, pipe and helper process, one xdist
worker's entries seen by a test of the other. True: pipes left open on an
error path, a child not killed after a timeout, an unclosed ``mkstemp``
descriptor and its file, an environment variable not restored, a
module-scoped fixture's directory that is never removed.
"""

import re
import sys
import textwrap

from testtools.matchers import Contains, MatchesRegex, Not

from fixturestmp.tests.support import run_python, write_files
from fixturestmp.tests.support.leaks import LeakTestCase

CHEAP = "--fixturestmp-leaks=environ,fds,files,processes,threads"

# Shared by both suites: the code of each test, by name.
CHILD = "[sys.executable, '-c', 'import sys; sys.stdin.read()']"
# A child with a large heap takes milliseconds to exit after SIGKILL.
BIG_CHILD = (
    "[sys.executable, '-c', "
    "'import sys; b = bytes(100_000_000); b = b + b; print(1, flush=True); "
    "sys.stdin.read()']"
)
BODIES = {
    "test_kills_child_without_waiting": f"""
        child = subprocess.Popen({BIG_CHILD}, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE)
        KEPT.append(child)
        child.stdout.readline()
        child.kill()
        child.stdin.close()
        child.stdout.close()
    """,
    "test_multiprocessing_value": """
        value = multiprocessing.Value("i", 0)
        value.value = 1
    """,
    "test_shared_memory": """
        memory = shared_memory.SharedMemory(create=True, size=4096)
        memory.close()
        memory.unlink()
    """,
    "test_pipe_on_error_path": """
        read, write = os.pipe()
        try:
            raise ValueError("the error path")
        except ValueError:
            pass
    """,
    "test_child_after_timeout": f"""
        child = subprocess.Popen({CHILD}, stdin=subprocess.PIPE)
        KEPT.append(child)
        try:
            child.wait(timeout=0.01)
        except subprocess.TimeoutExpired:
            pass
    """,
    "test_mkstemp": """
        tempfile.mkstemp(prefix="unclosed-")
    """,
    "test_env_not_restored": """
        os.environ["NOT_RESTORED"] = "1"
    """,
}
HEADER = textwrap.dedent("""\
    import multiprocessing
    import os
    import shutil
    import subprocess
    import sys
    import tempfile
    from multiprocessing import shared_memory

    KEPT = []
""")
KILLED = 8

PYTEST_FIXTURES = textwrap.dedent("""\
    import pytest


    @pytest.fixture(scope="module")
    def module_dir():
        path = tempfile.mkdtemp(prefix="module-scoped-")
        yield path
        shutil.rmtree(path)


    @pytest.fixture(scope="module")
    def never_removed():
        yield tempfile.mkdtemp(prefix="never-removed-")


    class TestShared:
        @pytest.fixture(scope="class")
        @classmethod
        def class_dir(cls):
            path = tempfile.mkdtemp(prefix="class-scoped-")
            yield path
            shutil.rmtree(path)

        def test_first(self, class_dir):
            assert os.path.isdir(class_dir)

        def test_second(self, class_dir):
            assert os.path.isdir(class_dir)


    def test_uses_module_dir(module_dir):
        assert os.path.isdir(module_dir)


    def test_uses_never_removed(never_removed):
        assert os.path.isdir(never_removed)
""")

STESTR_CLASS = textwrap.dedent("""\
    import fixturestmp


    class TestClasses(fixturestmp.TestCase):
        @classmethod
        def setUpClass(cls):
            super().setUpClass()
            cls.shared = tempfile.mkdtemp(prefix="class-scoped-")

        @classmethod
        def tearDownClass(cls):
            shutil.rmtree(cls.shared)
            super().tearDownClass()

        def test_uses_class_dir(self):
            assert os.path.isdir(self.shared)
""")


def _body(name: str, indent: str) -> str:
    return textwrap.indent(textwrap.dedent(BODIES[name]).strip("\n"), indent) + "\n"


def pytest_suite() -> str:
    """Return a pytest module with a test for each class."""
    text = HEADER + "\n" + PYTEST_FIXTURES
    text += f"\n\n@pytest.mark.parametrize('number', range({KILLED}))\n"
    text += "def test_kills_child_without_waiting(number):\n"
    text += _body("test_kills_child_without_waiting", "    ")
    for name in BODIES:
        if name != "test_kills_child_without_waiting":
            text += f"\n\ndef {name}():\n" + _body(name, "    ")
    text += "\n\ndef test_uses_module_dir_again(module_dir):\n"
    text += "    assert os.path.isdir(module_dir)\n"
    return text


def stestr_suite() -> str:
    """Return a testtools module with a test for each class."""
    text = HEADER + "\n" + STESTR_CLASS
    for number in range(KILLED):
        text += f"\n    def test_kills_child_without_waiting_{number}(self):\n"
        text += _body("test_kills_child_without_waiting", "        ")
    for name in BODIES:
        if name != "test_kills_child_without_waiting":
            text += f"\n    def {name}(self):\n" + _body(name, "        ")
    return text


KINDS = {
    "fds": re.compile(r"LEAKED (file descriptor|\d+ file descriptors) "),
    "files": re.compile(r"LEAKED (temp entry|\d+ temp entries) "),
    "processes": re.compile(r"LEAKED (process|\d+ processes) "),
    "environ": re.compile(r"LEAKED (environment change|\d+ environment changes) "),
    "threads": re.compile(r"LEAKED (thread|\d+ threads) "),
}


def by_test(lines: list[str]) -> dict[str, set[str]]:
    """Return ``{test name: {check, ...}}`` from ``LEAKED`` lines."""
    found: dict[str, set[str]] = {}
    for line in lines:
        name = re.split(r"[.:]", line.rsplit(" in ", 1)[1])[-1]
        kinds = {kind for kind, pattern in KINDS.items() if pattern.match(line)}
        found.setdefault(name, set()).update(kinds or {"memory"})
    return found


def leaked(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("LEAKED ")]


TRUE = {
    "test_pipe_on_error_path": {"fds"},
    # The Popen object keeps the pipe to its stdin open too.
    "test_child_after_timeout": {"processes", "fds"},
    "test_mkstemp": {"fds", "files"},
    "test_env_not_restored": {"environ"},
}


class TestPytestRuns(LeakTestCase):
    def pytest(self, *args: str, **env: str):
        write_files(self.workdir, {"test_classes.py": pytest_suite()})
        plugins = ["-p", "no:cacheprovider", "-p", "fixturestmp.pytest_plugin"]
        if "-n" in args:
            plugins += ["-p", "xdist.plugin"]
        full_env = {
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            "TMPDIR": str(self.tmpdir),
            "FIXTURESTMP_ROOT": str(self.root),
            **env,
        }
        return run_python(
            ["-m", "pytest", *plugins, *args, "test_classes.py"],
            self.workdir,
            full_env,
        )

    def test_reports_the_true_leaks_only(self):
        done = self.pytest(CHEAP)
        output = done.stdout + done.stderr
        self.assertEqual(0, done.returncode, output)
        expected = {**TRUE, "test_uses_never_removed": {"files"}}
        self.assertEqual(expected, by_test(leaked(done.stdout)), output)
        self.assertThat(done.stdout, Contains("temp entry never-removed-"))

    def test_pytest_run_by_a_pytest_test_reports_the_true_leaks_only(self):
        # The outer pytest's variable is inherited; the inner one removes it.
        done = self.pytest(CHEAP, PYTEST_CURRENT_TEST="outer.py::test_it (call)")
        output = done.stdout + done.stderr
        expected = {**TRUE, "test_uses_never_removed": {"files"}}
        self.assertEqual(expected, by_test(leaked(done.stdout)), output)

    def test_advice_is_in_pytest_words(self):
        done = self.pytest(CHEAP, "--fixturestmp-leaks-fail")
        output = done.stdout + done.stderr
        self.assertEqual(1, done.returncode, output)
        for words in ("monkeypatch.setenv", "tmp_path", "after its yield"):
            self.assertThat(output, Contains(words))
        for words in ("addCleanup", "LeakCheck(", "useFixture"):
            self.assertThat(output, Not(Contains(words)))
        for name in TRUE:
            self.assertThat(output, Contains(f"ERROR at teardown of {name}"))
        errors = re.findall(r"ERROR at teardown of (\S+) ", output)
        # The never-removed directory is confirmed when its module's fixtures
        # end, in the module's last test, and named after its first user.
        self.assertEqual([*TRUE, "test_uses_module_dir_again"], errors, output)
        self.assertThat(
            output,
            MatchesRegex(
                r".*ERROR at teardown of test_uses_module_dir_again _+\n"
                r"LEAKED temp entry never-removed-\w+/ in "
                r"test_classes.py::test_uses_never_removed\n",
                re.S,
            ),
        )

    def test_xdist_workers_do_not_blame_each_other(self):
        # test_a makes an entry while test_b, in the other worker, runs;
        # it removes it only once test_b has been reported.
        sync = self.workdir / "sync"
        sync.mkdir()
        conftest = f"""
            import os
            import time


            def wait_for(name):
                deadline = time.monotonic() + 120
                while not os.path.exists(os.path.join({str(sync)!r}, name)):
                    assert time.monotonic() < deadline, "no " + name
                    time.sleep(0.01)


            def mark(name):
                open(os.path.join({str(sync)!r}, name), "w").close()


            def pytest_runtest_logfinish(nodeid, location):
                if nodeid.endswith("test_b"):
                    mark("b-reported")
        """
        write_files(
            self.workdir,
            {
                "conftest.py": conftest,
                "test_a.py": """
                    import shutil
                    import tempfile

                    from conftest import mark, wait_for


                    def test_a():
                        wait_for("b-running")
                        path = tempfile.mkdtemp(prefix="made-by-a-")
                        tempfile.mkstemp(prefix="left-by-a-")
                        mark("a-made")
                        wait_for("b-reported")
                        shutil.rmtree(path)
                """,
                "test_b.py": """
                    from conftest import mark, wait_for


                    def test_b():
                        mark("b-running")
                        wait_for("a-made")
                """,
            },
        )
        done = run_python(
            ["-m", "pytest", "-p", "no:cacheprovider", "-p", "xdist.plugin",
             "-p", "fixturestmp.pytest_plugin", "-n", "2", "--dist", "loadfile",
             "--fixturestmp-leaks=files", "test_a.py", "test_b.py"],
            self.workdir,
            {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "TMPDIR": str(self.tmpdir)},
        )  # fmt: skip
        output = done.stdout + done.stderr
        self.assertEqual(0, done.returncode, output)
        lines = leaked(done.stdout)
        self.assertEqual(1, len(lines), output)
        self.assertThat(
            lines[0],
            MatchesRegex(r"LEAKED temp entry left-by-a-\w+ in test_a.py::test_a"),
        )
        # Each worker's directory holds what its tests left; empty ones go.
        left = [p.name for p in self.tmpdir.iterdir() if p.name != "pytest-of-root"]
        self.assertEqual(1, len(left), left)
        self.assertTrue(left[0].startswith("fixturestmp-xdist-gw"), left)


class TestStestrRuns(LeakTestCase):
    def test_reports_the_true_leaks_only(self):
        write_files(
            self.workdir,
            {
                ".stestr.conf": "[DEFAULT]\ntest_path=./suite\ntop_dir=./\n",
                "suite/__init__.py": "",
                "suite/test_classes.py": stestr_suite(),
            },
        )
        done = run_python(
            [
                "-m",
                "fixturestmp.cli",
                "run",
                "--",
                sys.executable,
                "-m",
                "stestr",
                "run",
                "--concurrency",
                "1",
            ],
            self.workdir,
            {
                "TMPDIR": str(self.tmpdir),
                "FIXTURESTMP_ROOT": str(self.root),
                "FIXTURESTMP_LEAK_CHECKS": "environ,fds,files,processes,threads",
            },
        )
        output = done.stdout + done.stderr
        self.assertEqual(0, done.returncode, output)
        self.assertThat(output, Contains(f"Passed: {len(BODIES) + KILLED}"))
        self.assertEqual(TRUE, by_test(leaked(done.stderr)), output)
        self.assertThat(output, Not(Contains("monkeypatch")))


INDEPENDENCE = {
    "test_independent.py": f"""
        import gc
        import os
        import subprocess
        import sys

        # Only the checks collect garbage in this run.
        gc.disable()
        KEPT = []


        class Holder:
            pass


        def test_keeps_memory_and_drops_a_file_in_a_cycle():
            KEPT.append(b"\\x01" * 50_000_000)
            holder = Holder()
            holder.self = holder
            holder.stream = open(os.devnull)


        def test_drops_a_file_in_a_cycle():
            holder = Holder()
            holder.self = holder
            holder.stream = open(os.devnull)


        def test_starts_a_child():
            KEPT.append(subprocess.Popen({CHILD}, stdin=subprocess.PIPE))
    """
}


class TestIndependence(LeakTestCase):
    """fds and processes find the same with memory on as without it."""

    def pytest(self, checks: str) -> list[str]:
        write_files(self.workdir, INDEPENDENCE)
        done = run_python(
            ["-m", "pytest", "-p", "fixturestmp.pytest_plugin", "-p",
             "no:cacheprovider", f"--fixturestmp-leaks={checks}",
             "test_independent.py"],
            self.workdir,
            {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "TMPDIR": str(self.tmpdir)},
        )  # fmt: skip
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)
        # Process ids and pipes differ from run to run; descriptor numbers
        # too, as what a check collects after measuring frees numbers.
        return [re.sub(r"\d+", "N", line) for line in leaked(done.stdout)]

    def test_memory_changes_no_other_result(self):
        without = self.pytest("fds,processes")
        with_memory = self.pytest("fds,processes,memory")
        memory = [line for line in with_memory if line.startswith("LEAKED N.NMB")]
        self.assertEqual(1, len(memory), with_memory)
        self.assertThat(memory[0], Contains("test_keeps_memory_and_drops_a_file"))
        self.assertEqual(sorted(without), sorted(set(with_memory) - set(memory)))
        self.assertEqual(
            {
                "test_keeps_memory_and_drops_a_file_in_a_cycle": {"fds"},
                "test_drops_a_file_in_a_cycle": {"fds"},
                "test_starts_a_child": {"processes", "fds"},
            },
            by_test(without),  # names have no digits
        )
