"""Tests for the pytest plugin, with real pytest (and pytest-xdist) runs."""

import configparser
import importlib.metadata
import os
import re

from testtools.matchers import Contains, MatchesRegex

from fixturestmp._store.manifest import read_manifest
from fixturestmp.tests.support import (
    REPO_ROOT,
    need_source_tree,
    run_python,
    write_files,
)
from fixturestmp.tests.support.leaks import LeakTestCase

TEST_FILE = {
    "test_leaky.py": """
        import os
        import subprocess
        import sys

        import pytest

        KEPT = []
        # Children live until pytest exits and closes their stdin.
        CHILDREN = []


        @pytest.fixture
        def tidy_fixture():
            os.environ["SET_BY_TIDY_FIXTURE"] = "1"
            yield
            del os.environ["SET_BY_TIDY_FIXTURE"]


        @pytest.fixture
        def leaky_fixture():
            os.environ["SET_BY_LEAKY_FIXTURE"] = "1"
            yield


        def test_clean():
            data = [str(number) for number in range(200_000)]
            del data


        def test_tidy_fixture(tidy_fixture):
            pass


        def test_leaky_fixture(leaky_fixture):
            pass


        def test_leaves_env():
            os.environ["LEFT_BY_PYTEST"] = "1"


        def test_leaves_process():
            CHILDREN.append(subprocess.Popen(
                [sys.executable, "-c", "import sys; sys.stdin.read()"],
                stdin=subprocess.PIPE,
            ))


        def test_keeps_memory():
            KEPT.append(b"\\x01" * 50_000_000)
    """,
}

CHECKS = "--fixturestmp-leaks=environ,processes,memory"
LEAKY = (
    "test_keeps_memory",
    "test_leaky_fixture",
    "test_leaves_env",
    "test_leaves_process",
)
EXPECTED = [
    re.compile(r"LEAKED (4[5-9]|5\d)\.\dMB in test_leaky.py::test_keeps_memory"),
    re.compile(
        r"LEAKED environment change SET_BY_LEAKY_FIXTURE set in "
        r"test_leaky.py::test_leaky_fixture"
    ),
    re.compile(
        r"LEAKED environment change LEFT_BY_PYTEST set in "
        r"test_leaky.py::test_leaves_env"
    ),
    re.compile(
        r"LEAKED process \d+ \(python\S* -c import sys; sys.stdin.read\(\)\) in "
        r"test_leaky.py::test_leaves_process"
    ),
]


def leaked_lines(output: str) -> list[str]:
    """Return the lines of the ``fixturestmp leaks`` summary section."""
    lines = output.splitlines()
    for number, line in enumerate(lines):
        if re.match(r"=+ fixturestmp leaks =+$", line):
            return [
                text
                for text in lines[number + 1 :]
                if not text.startswith("=") and text.startswith("LEAKED ")
            ]
    return []


class TestPytestPlugin(LeakTestCase):
    def setUp(self):
        super().setUp()
        write_files(self.workdir, TEST_FILE)

    def pytest(self, *args: str, plugin: bool = True, **env: str):
        # Only the plugins named here: other installed plugins must not
        # change the output being compared.
        plugins = ["-p", "no:cacheprovider"]
        if plugin:
            plugins += ["-p", "fixturestmp.pytest_plugin"]
        if "-n" in args:
            plugins += ["-p", "xdist.plugin"]
        full_env = {
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            "TMPDIR": str(self.tmpdir),
            "FIXTURESTMP_ROOT": str(self.root),
            **env,
        }
        return run_python(
            ["-m", "pytest", *plugins, *args, "test_leaky.py"], self.workdir, full_env
        )

    def assertLeakedLines(self, output: str) -> None:
        lines = leaked_lines(output)
        self.assertEqual(len(EXPECTED), len(lines), output)
        # Largest first: the memory leak, then the counts.
        self.assertThat(lines[0], MatchesRegex(EXPECTED[0].pattern))
        for pattern in EXPECTED[1:]:
            self.assertEqual(
                1, sum(1 for line in lines[1:] if pattern.fullmatch(line)), output
            )

    def test_plain_run_is_unchanged(self):
        without = self.pytest(plugin=False)
        with_plugin = self.pytest()

        def normal(text):
            return re.sub(r" in \d+\.\d+s", " in Ns", text)

        self.assertEqual(0, with_plugin.returncode, with_plugin.stdout)
        self.assertEqual(normal(without.stdout), normal(with_plugin.stdout))
        self.assertEqual(without.stderr, with_plugin.stderr)
        self.assertNotIn("LEAKED", with_plugin.stdout)

    def test_option_prints_leaked_lines_for_the_leaking_tests_only(self):
        done = self.pytest(CHECKS)
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)
        self.assertThat(done.stdout, Contains("6 passed"))
        self.assertLeakedLines(done.stdout)

    def test_fail_option_fails_the_leaking_tests(self):
        done = self.pytest(CHECKS, "--fixturestmp-leaks-fail")
        self.assertEqual(1, done.returncode, done.stdout + done.stderr)
        self.assertThat(done.stdout, Contains("6 passed, 4 errors"))
        for name in LEAKY:
            self.assertThat(done.stdout, Contains(f"ERROR at teardown of {name}"))
        self.assertThat(done.stdout, Contains("Captured leak-environ teardown"))
        self.assertLeakedLines(done.stdout)

    def test_under_xdist(self):
        done = self.pytest(CHECKS, "-n", "2")
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)
        self.assertLeakedLines(done.stdout)
        failing = self.pytest(CHECKS, "-n", "2", "--fixturestmp-leaks-fail")
        self.assertEqual(1, failing.returncode, failing.stdout + failing.stderr)
        self.assertThat(failing.stdout, Contains("6 passed, 4 errors"))
        self.assertLeakedLines(failing.stdout)

    def test_records_in_the_manifest_under_fixturestmp_run(self):
        done = self.pytest(
            "--fixturestmp-leaks=environ", FIXTURESTMP_SESSION=str(self.sess.path)
        )
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)
        records = [r for r in read_manifest(self.sess.path) if r["kind"] == "leak"]
        self.assertEqual(
            ["test_leaky.py::test_leaky_fixture", "test_leaky.py::test_leaves_env"],
            sorted(r["id"] for r in records),
        )

    def test_no_session_is_made_just_for_the_records(self):
        done = self.pytest("--fixturestmp-leaks=environ")
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)
        self.assertEqual([self.sess.path.name], self.sessions())

    def test_cheap_checks_import_neither_fixtures_testtools_nor_psutil(self):
        # The plugin runs the checks' probes: a pytest run does not pay for
        # importing the fixtures they are made into, even when it reports.
        write_files(
            self.workdir,
            {
                "test_imports.py": """
                    import os
                    import sys


                    def test_leaves_env():
                        os.environ["LEFT_FOR_IMPORTS"] = "1"


                    def test_then_imports():
                        heavy = {"fixtures", "psutil", "testtools"}
                        assert not heavy & set(sys.modules), heavy & set(sys.modules)
                """
            },
        )
        done = run_python(
            ["-m", "pytest", "-p", "no:cacheprovider", "-p",
             "fixturestmp.pytest_plugin",
             "--fixturestmp-leaks=environ,fds,files,processes,threads",
             "test_imports.py"],
            self.workdir,
            {
                "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
                "TMPDIR": str(self.tmpdir),
                "FIXTURESTMP_ROOT": str(self.root),
            },
        )  # fmt: skip
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)
        self.assertEqual(
            [
                "LEAKED environment change LEFT_FOR_IMPORTS set in "
                "test_imports.py::test_leaves_env"
            ],
            leaked_lines(done.stdout),
        )

    def test_bad_check_name_is_a_usage_error(self):
        done = self.pytest("--fixturestmp-leaks=memory,disk")
        self.assertEqual(4, done.returncode, done.stdout + done.stderr)
        self.assertThat(done.stderr, Contains("unknown check 'disk'"))
        self.assertThat(done.stderr, Contains("--fixturestmp-leaks"))

    def test_fail_option_without_checks_is_a_usage_error(self):
        done = self.pytest("--fixturestmp-leaks-fail")
        self.assertEqual(4, done.returncode, done.stdout + done.stderr)
        self.assertThat(done.stderr, Contains("no leak checks to run"))

    def test_fail_option_uses_configured_checks(self):
        done = self.pytest(
            "--fixturestmp-leaks-fail", FIXTURESTMP_LEAK_CHECKS="environ"
        )
        self.assertEqual(1, done.returncode, done.stdout + done.stderr)
        self.assertThat(done.stdout, Contains("6 passed, 2 errors"))


class TestEntryPoint(LeakTestCase):
    def test_declared_in_setup_cfg(self):
        need_source_tree(self)
        parser = configparser.ConfigParser()
        parser.read(REPO_ROOT / "setup.cfg")
        entry_points = parser.get("options.entry_points", "pytest11")
        self.assertEqual(
            ["fixturestmp = fixturestmp.pytest_plugin"],
            [line.strip() for line in entry_points.splitlines() if line.strip()],
        )

    def test_pytest_loads_it_through_the_entry_point(self):
        found = [
            entry
            for entry in importlib.metadata.entry_points(group="pytest11")
            if entry.value == "fixturestmp.pytest_plugin"
        ]
        if not found:
            self.skipTest(
                "fixturestmp's metadata is not installed; run pip install -e ."
            )
        env = {key: value for key, value in os.environ.items()}
        env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        done = run_python(["-m", "pytest", "--help"], self.workdir, env)
        self.assertThat(done.stdout, Contains("--fixturestmp-leaks=CHECKS"))
