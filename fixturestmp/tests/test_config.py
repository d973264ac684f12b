"""Tests for fixturestmp._config."""

import os
import re
from pathlib import Path

import fixtures
from testtools.matchers import Contains, StartsWith

import fixturestmp
from fixturestmp import _config as config
from fixturestmp.tests.support import IsolatedTestCase, run_cli, run_python, write_files


class TestBadValues(IsolatedTestCase):
    def setUp(self):
        super().setUp()
        self.addCleanup(config._file_cache.clear)
        config._file_cache.clear()

    def assert_refused(self, option, value, source, **kwargs):
        before = sorted(os.walk(self.root))
        error = self.assertRaises(
            fixturestmp.ConfigError, fixturestmp.SessionTempFixture, **kwargs
        )
        message = str(error)
        self.assertThat(message, Contains(option))
        self.assertThat(message, Contains(repr(value)))
        self.assertThat(message, Contains(source))
        self.assertEqual(before, sorted(os.walk(self.root)))
        return message

    def test_bad_policy_argument(self):
        message = self.assert_refused(
            "retention_policy", "sometimes", "argument retention_policy=",
            retention_policy="sometimes", root=self.root,
        )  # fmt: skip
        self.assertThat(message, Contains("all, failed, none"))

    def test_bad_counts(self):
        for value in (-1, "three"):
            self.assert_refused(
                "retention_count", value, "argument retention_count=",
                retention_count=value, root=self.root,
            )  # fmt: skip

    def test_bad_environment_value(self):
        self.useFixture(
            fixtures.EnvironmentVariable("FIXTURESTMP_RETENTION_COUNT", "-1")
        )
        self.assert_refused(
            "retention_count", "-1",
            "environment variable FIXTURESTMP_RETENTION_COUNT", root=self.root,
        )  # fmt: skip

    def test_bad_file_value(self):
        write_files(self.workdir, {"tox.ini": "[fixturestmp]\nretention_policy = x\n"})
        self.assert_refused(
            "retention_policy", "x", str(self.workdir / "tox.ini"), root=self.root
        )

    def test_basetemp_with_user_files(self):
        precious = self.workdir / "data"
        precious.mkdir()
        (precious / "results.csv").write_text("1,2,3")
        self.assert_refused("basetemp", str(precious), "argument", basetemp=precious)
        self.assertEqual("1,2,3", (precious / "results.csv").read_text())

    def test_fixture_policy_is_checked_at_construction(self):
        error = self.assertRaises(
            fixturestmp.ConfigError, fixturestmp.TempDirFixture, policy="maybe"
        )
        self.assertThat(str(error), Contains("retention_policy"))

    def test_unknown_option_in_file(self):
        write_files(self.workdir, {"setup.cfg": "[fixturestmp]\nretention = all\n"})
        error = self.assertRaises(fixturestmp.ConfigError, config.file_settings)
        self.assertThat(str(error), Contains("'retention'"))

    def test_other_options(self):
        self.assertEqual(("memory", "fds"), config.resolve("leak_checks", "memory,fds"))
        self.assertEqual(50 * 1024**2, config.resolve("memory_leak_limit", "50MiB"))
        self.assertEqual(50 * 1000**2, config.resolve("memory_leak_limit", "50MB"))
        self.assertEqual("fail", config.resolve("leak_action", "FAIL"))
        for option, value in [
            ("leak_checks", "memory,disk"),
            ("memory_leak_limit", "lots"),
            ("leak_action", "explode"),
            ("root", str(self.root / "missing")),
        ]:
            error = self.assertRaises(
                fixturestmp.ConfigError, config.resolve, option, value
            )
            self.assertThat(str(error), Contains(option))


class TestPrecedence(IsolatedTestCase):
    def setUp(self):
        super().setUp()
        self.addCleanup(config._file_cache.clear)
        config._file_cache.clear()

    def test_argument_beats_environment_beats_file_beats_default(self):
        self.assertEqual(3, config.resolve("retention_count"))
        write_files(
            self.workdir,
            {
                "setup.cfg": "[fixturestmp]\nretention_count = 5\n",
                "pyproject.toml": "[tool.fixturestmp]\nretention_count = 6\n",
            },
        )
        config._file_cache.clear()
        self.assertEqual(5, config.resolve("retention_count"))
        self.useFixture(
            fixtures.EnvironmentVariable("FIXTURESTMP_RETENTION_COUNT", "7")
        )
        self.assertEqual(7, config.resolve("retention_count"))
        self.assertEqual(8, config.resolve("retention_count", 8))

    def test_pyproject_table(self):
        write_files(
            self.workdir,
            {"pyproject.toml": '[tool.fixturestmp]\nretention_policy = "all"\n'},
        )
        self.assertEqual(
            fixturestmp.RetentionPolicy.ALL, config.resolve("retention_policy")
        )


class TestEveryOptionChecked(IsolatedTestCase):
    """A bad value is refused when a session is made, whoever reads it."""

    def setUp(self):
        super().setUp()
        self.addCleanup(config._file_cache.clear)
        config._file_cache.clear()

    def refused(self, **kwargs) -> str:
        before = sorted(os.walk(self.root))
        error = self.assertRaises(
            fixturestmp.ConfigError,
            fixturestmp.SessionTempFixture,
            root=self.root,
            **kwargs,
        )
        self.assertEqual(before, sorted(os.walk(self.root)))
        return str(error)

    def test_environment_values_no_session_reads(self):
        for option, value, allowed in [
            ("leak_action", "explode", "use report or fail"),
            ("memory_leak_limit", "lots", "10MiB"),
            ("leak_checks", "memory,disk", "files"),
            ("basetemp", "", None),
        ]:
            name = config.env_name(option)
            with fixtures.EnvironmentVariable(name, value):
                if value == "":
                    self.assertIsNotNone(self.useFixture(self.session()))
                    continue
                message = self.refused()
            self.assertThat(message, Contains(f"environment variable {name}"))
            self.assertThat(message, Contains(repr(value)))
            self.assertThat(message, Contains(allowed))

    def test_file_values_name_the_file_and_section(self):
        write_files(
            self.workdir, {"setup.cfg": "[fixturestmp]\nleak_action = explode\n"}
        )
        message = self.refused()
        self.assertThat(
            message, Contains(f"[fixturestmp] in {self.workdir / 'setup.cfg'}")
        )
        self.assertThat(message, Contains("use report or fail"))

    def test_toml_values_of_the_wrong_type(self):
        for line, option in [
            ("leak_checks = 5", "leak_checks"),
            ("memory_leak_limit = true", "memory_leak_limit"),
            ("retention_count = 2.5", "retention_count"),
            ("retention_policy = 1", "retention_policy"),
            ("leak_action = false", "leak_action"),
            ("basetemp = 7", "basetemp"),
        ]:
            write_files(
                self.workdir, {"pyproject.toml": f"[tool.fixturestmp]\n{line}\n"}
            )
            config._file_cache.clear()
            message = self.refused()
            self.assertThat(message, Contains(option))
            self.assertThat(
                message,
                Contains(f"[tool.fixturestmp] in {self.workdir / 'pyproject.toml'}"),
            )

    def test_digits_of_other_scripts_are_refused(self):
        full_width_three = "\uff13"
        arabic_indic_five = "\u0665"
        for digit in (full_width_three, arabic_indic_five):
            message = self.refused(retention_count=digit)
            self.assertThat(message, Contains("argument retention_count="))
            self.assertThat(message, Contains("digits 0-9"))
            with fixtures.EnvironmentVariable(
                "FIXTURESTMP_MEMORY_LEAK_LIMIT", f"{digit}MiB"
            ):
                message = self.refused()
            self.assertThat(
                message, Contains("environment variable FIXTURESTMP_MEMORY_LEAK_LIMIT")
            )
        self.assertEqual(3, config.resolve("retention_count", " 3 "))
        self.assertEqual(3 * 1024**2, config.resolve("memory_leak_limit", "3MiB"))

    def test_command_line_refuses_with_one_line(self):
        run = run_python(
            ["-m", "fixturestmp.cli", "run", "--retention-count", "\uff13", "--",
             "true"],
            self.workdir, {"FIXTURESTMP_ROOT": str(self.root)},
        )  # fmt: skip
        self.assertEqual(2, run.returncode, run.stderr)
        self.assertEqual(1, len(run.stderr.splitlines()), run.stderr)
        self.assertThat(run.stderr, Contains("--retention-count"))
        run = run_python(
            ["-m", "fixturestmp.cli", "run", "--", "true"],
            self.workdir,
            {"FIXTURESTMP_ROOT": str(self.root), "FIXTURESTMP_LEAK_ACTION": "explode"},
        )
        self.assertEqual(2, run.returncode, run.stderr)
        self.assertEqual(1, len(run.stderr.splitlines()), run.stderr)
        self.assertThat(
            run.stderr, Contains("environment variable FIXTURESTMP_LEAK_ACTION")
        )
        self.assertEqual([], os.listdir(self.root))


class TestCleanChecksEverything(IsolatedTestCase):
    """A command that deletes refuses a bad value of any option first."""

    def test_bad_values_delete_nothing(self):
        for _ in range(2):
            with self.session(retention_policy="all"):
                pass
        for name, value in [
            ("FIXTURESTMP_RETENTION_POLICY", "sometimes"),
            ("FIXTURESTMP_LEAK_CHECKS", "disk"),
            ("FIXTURESTMP_LEAK_ACTION", "explode"),
            ("FIXTURESTMP_MEMORY_LEAK_LIMIT", "lots"),
            ("FIXTURESTMP_BASETEMP", " "),
            ("FIXTURESTMP_RETENTION_COUNT", "many"),
            ("FIXTURESTMP_ADOPT", "maybe"),
        ]:
            for args in (["clean"], ["clean", "--all"]):
                done = run_cli(*args, root=self.root, cwd=self.workdir,
                           env={name: value})  # fmt: skip
                self.assertEqual(2, done.returncode, (name, args, done.stderr))
                self.assertEqual(1, len(done.stderr.splitlines()), done.stderr)
                self.assertThat(done.stderr, StartsWith("fixturestmp clean: "))
                self.assertThat(
                    done.stderr, Contains(f"{value!r} from environment variable {name}")
                )
                self.assertEqual(["run-0", "run-1"], self.sessions())


class TestUnknownVariables(IsolatedTestCase):
    """A misspelt FIXTURESTMP_* name is said once, with the name it was
    likely meant to be."""

    def test_the_command_says_it_once(self):
        done = run_cli("ls", root=self.root, cwd=self.workdir,
                   env={"FIXTURESTMP_RETENTION_POLCY": "all"})  # fmt: skip
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertEqual(
            [
                "fixturestmp ls: unknown environment variable "
                "FIXTURESTMP_RETENTION_POLCY, ignored; did you mean "
                "FIXTURESTMP_RETENTION_POLICY?"
            ],
            done.stderr.splitlines(),
        )

    def test_a_test_process_says_it_once(self):
        script = (
            "import fixturestmp\n"
            "for _ in range(3):\n"
            "    with fixturestmp.TempDirFixture():\n"
            "        pass\n"
        )
        done = run_python(
            ["-c", script],
            self.workdir,
            {"FIXTURESTMP_ROOT": str(self.root), "FIXTURESTMP_LEAKCHECKS": "all"},
        )
        self.assertEqual(0, done.returncode, done.stderr)
        said = [line for line in done.stderr.splitlines() if "fixturestmp" in line]
        self.assertEqual(1, len(said), done.stderr)
        self.assertThat(
            said[0],
            Contains(
                "unknown environment variable FIXTURESTMP_LEAKCHECKS, ignored; "
                "did you mean FIXTURESTMP_LEAK_CHECKS?"
            ),
        )

    def test_every_name_the_code_reads_is_known(self):
        source = Path(config.__file__).parent
        named = set()
        for path in source.rglob("*.py"):
            if "tests" not in path.relative_to(source).parts:
                named.update(re.findall(r"FIXTURESTMP_[A-Z_]*[A-Z]", path.read_text()))
        self.assertEqual(set(), named - set(config.known_env_names()))
        done = run_python(
            ["-m", "fixturestmp.cli", "ls"],
            self.workdir,
            {name: "" for name in config.known_env_names()},
        )
        self.assertEqual("", done.stderr)
