"""The documentation's examples run and its commands exist: docs cannot drift.

Every ``.. code-block:: python`` of README.rst and doc/ runs, page by page,
with a private temporary root; console blocks marked ``run`` run too, and
their output, like every output marked as such, is compared with what the
docs show. How blocks are marked: :mod:`fixturestmp.tests.support.docblocks`.
"""

import configparser
import doctest
import io
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import fixtures
import psutil
import testtools

import fixturestmp
import fixturestmp.leaks
from fixturestmp._store.basedir import base_name
from fixturestmp.cli import build_parser
from fixturestmp.tests.support import IsolatedTestCase, need_source_tree
from fixturestmp.tests.support.docblocks import (
    REPO_ROOT,
    Block,
    doc_pages,
    normalise,
    parse_tree,
    read_blocks,
    shell_commands,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

README_COMMANDS = (
    'pip install . && cd "$(mktemp -d)" && fixturestmp demo',
    "pip install tox && tox -e py3,pep8",
)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
TIMEOUT = 120

# Runs one example module: its top level, then the tests it defines.
DRIVER = """\
import importlib, os, sys, unittest
sys.path.insert(0, os.getcwd())
module = importlib.import_module(sys.argv[1])
cases = [
    obj for obj in vars(module).values()
    if isinstance(obj, type) and issubclass(obj, unittest.TestCase)
    and obj.__module__ == module.__name__
]
suite = unittest.TestSuite(
    unittest.defaultTestLoader.loadTestsFromTestCase(case) for case in cases
)
if suite.countTestCases():
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=0).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)
"""


def _slug(path: Path) -> str:
    relative = path.relative_to(REPO_ROOT).with_suffix("")
    return re.sub(r"\W", "_", str(relative)).lower()


def _tree(top: Path) -> set[str]:
    found = set()
    for directory, dirnames, filenames in os.walk(top):
        relative = os.path.relpath(directory, top)
        for name in dirnames + filenames:
            path = os.path.join(directory, name)
            entry = os.path.normpath(os.path.join(relative, name))
            if os.path.islink(path):
                entry += " -> " + os.readlink(path)
            found.add(entry)
    return found


def _kill_session(sid: int) -> None:
    """Kill what is left of a process session that this test started."""
    for process in psutil.process_iter():
        try:
            if os.getsid(process.pid) == sid:
                process.kill()
        except (OSError, psutil.Error):
            continue


class SourceTestCase(testtools.TestCase):
    """Reads the project's source tree: skipped where the package is installed."""

    def setUp(self) -> None:
        super().setUp()
        need_source_tree(self)


class DocTestCase(IsolatedTestCase):
    """Runs examples in a private root (also ``TMPDIR``) and work directory."""

    def setUp(self) -> None:
        super().setUp()
        need_source_tree(self)
        shims = Path(self.useFixture(fixtures.TempDir()).path)
        self.driver = shims / "run_example.py"
        self.driver.write_text(DRIVER)
        python = shlex.quote(sys.executable)
        for name, line in (
            ("python", f'exec {python} "$@"'),
            ("fixturestmp", f'exec {python} -m fixturestmp.cli "$@"'),
        ):
            (shims / name).write_text(f"#!/bin/sh\n{line}\n")
            (shims / name).chmod(0o755)
        env = dict(os.environ)
        env.update(
            PATH=f"{shims}{os.pathsep}{env.get('PATH', '')}",
            PYTHONPATH=os.pathsep.join(
                [str(REPO_ROOT)] + [p for p in [env.get("PYTHONPATH")] if p]
            ),
            TMPDIR=str(self.root),
            FIXTURESTMP_ROOT=str(self.root),
            COLUMNS="80",
            NO_COLOR="1",
            PYTHONDONTWRITEBYTECODE="1",
            PYTEST_ADDOPTS="-p no:cacheprovider",
        )
        # Only this tree's plugin: faster, and no other plugin's output.
        env.update(
            PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
            PYTEST_PLUGINS="fixturestmp.pytest_plugin",
        )
        self.env = env

    def run_shell(self, command: str | list[str]) -> tuple[int, str]:
        """Run ``command`` in the work directory; return status and output.

        Output goes to a file, not a pipe, so that a process an example
        leaks on purpose cannot hold the run open; whatever the run left
        running is killed afterwards.
        """
        args = ["bash", "-c", command] if isinstance(command, str) else command
        with tempfile.TemporaryFile("w+") as output:
            process = subprocess.Popen(
                args, cwd=self.workdir, env=self.env, stdout=output,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
            try:
                status = process.wait(timeout=TIMEOUT)
            finally:
                _kill_session(process.pid)
                process.wait()
            output.seek(0)
            return status, output.read()

    def assertOutput(self, want: str, got: str, where: str, excerpt=False) -> None:
        private = [str(self.root), str(self.workdir)]
        want = normalise(want, private, base_name())
        got_shown = normalise(got, private, base_name())
        if excerpt:
            # Whitespace is normalised away at the ends: give "..." a line.
            want = f"...\n{want}\n..."
            got_shown = f"(start)\n{got_shown}\n(end)"
        checker = doctest.OutputChecker()
        if not checker.check_output(want + "\n", got_shown + "\n", FLAGS):
            self.fail(f"{where}: the output differs from the docs.\n"
                      f"Docs (normalised):\n{want}\n\nActual:\n{got}")  # fmt: skip


class TestExamples(DocTestCase):
    """One test per page: its examples, in order, in one work directory."""

    def check_page(self, page: Path) -> None:
        last: tuple[Block, str] | None = None
        files: dict[str, Block] = {}
        ran: list[str] = []
        for block in read_blocks(page):
            marker = block.marker
            if block.language == "python":
                last = (block, self.run_python_block(block, files))
            elif block.language in ("ini", "cfg", "toml"):
                self.check_config(block, files)
            elif block.language == "sh" and block.caption:
                (self.workdir / block.caption).write_text(block.text)
                (self.workdir / block.caption).chmod(0o755)
            elif marker == "run":
                ran.extend(self.run_console(block))
            elif marker == "output":
                if last is None:
                    self.fail(f"{block.where}: no example before")
                self.assertOutput(block.text, last[1], block.where)
            elif marker == "tree":
                self.assertEqual(
                    parse_tree(block.text),
                    _tree(self.root / base_name()),
                    f"{block.where}: the tree differs from the docs",
                )
        for name, block in files.items():
            if block.language == "python":
                stem = Path(name).stem
                self.assertTrue(
                    any(name in c or stem in c for c in ran),
                    f"{block.where}: {name} is never run by a '.. example: run' block",
                )

    def run_python_block(self, block: Block, files: dict[str, Block]) -> str:
        if block.caption:
            (self.workdir / block.caption).write_text(block.text)
            files[block.caption] = block
            return ""
        (self.workdir / "example.py").write_text(block.text)
        status, output = self.run_shell([sys.executable, str(self.driver), "example"])
        expected = 1 if block.marker == "fails" else 0
        self.assertEqual(
            expected,
            status,
            f"{block.where}: the example exited {status}, not {expected}:\n{output}",
        )
        return output

    def check_config(self, block: Block, files: dict[str, Block]) -> None:
        try:
            if block.language == "toml":
                tomllib.loads(block.text)
            else:
                configparser.ConfigParser(interpolation=None).read_string(block.text)
        except (configparser.Error, tomllib.TOMLDecodeError) as error:
            self.fail(f"{block.where}: not valid {block.language}: {error}")
        if block.caption:
            (self.workdir / block.caption).write_text(block.text)
            files[block.caption] = block

    def run_console(self, block: Block) -> list[str]:
        commands = shell_commands(block.text)
        self.assertNotEqual([], commands, f"{block.where}: no '$ ' command")
        for command, want in commands:
            _, output = self.run_shell(command)
            self.assertOutput(want, output, f"{block.where}: $ {command}")
        return [command for command, _ in commands]


for _page in doc_pages():

    def _test(self, page: Path = _page) -> None:
        self.check_page(page)

    _test.__name__ = f"test_{_slug(_page)}"
    _test.__doc__ = f"The examples of {_page.relative_to(REPO_ROOT)} run as shown."
    setattr(TestExamples, _test.__name__, _test)
del _page, _test


class TestDemoOutput(DocTestCase):
    def test_demo_output_matches_the_docs(self):
        blocks = [
            block
            for page in doc_pages()
            for block in read_blocks(page)
            if block.marker == "demo output"
        ]
        self.assertNotEqual([], blocks)
        status, output = self.run_shell("fixturestmp demo")
        self.assertEqual(0, status, output)
        for block in blocks:
            self.assertOutput(block.text, output, block.where, excerpt=True)


class TestCommands(SourceTestCase):
    def blocks(self, *languages: str) -> list[Block]:
        return [
            block
            for page in doc_pages()
            for block in read_blocks(page)
            if block.language in languages
        ]

    def test_every_fixturestmp_command_line_parses(self):
        parser = build_parser()
        for block in self.blocks("console"):
            for command, _ in shell_commands(block.text):
                for part in re.split(r"&&|;|\|", command):
                    words = shlex.split(part)
                    while words and "=" in words[0]:
                        words.pop(0)  # NAME=value before the command
                    if words[:1] != ["fixturestmp"]:
                        continue
                    try:
                        parser.parse_args(words[1:])
                    except SystemExit:
                        self.fail(f"{block.where}: bad command: {part.strip()}")

    def test_every_pytest_option_exists(self):
        source = (REPO_ROOT / "fixturestmp" / "pytest_plugin.py").read_text()
        for page in doc_pages():
            for option in re.findall(r"--fixturestmp-[\w-]+", page.read_text()):
                self.assertIn(f'"{option}"', source, f"{page.name}: {option}")

    def test_every_tox_environment_exists(self):
        tox = configparser.ConfigParser(interpolation=None)
        tox.read(REPO_ROOT / "tox.ini")
        known = set(re.split(r"[\s,]+", tox["tox"]["envlist"])) | {
            s.partition(":")[2] for s in tox.sections() if s.startswith("testenv:")
        }
        for block in self.blocks("console"):
            for envs in re.findall(r"\btox -e ([\w,-]+)", block.text):
                for env in envs.split(","):
                    self.assertIn(env, known, f"{block.where}: tox -e {env}")

    def test_readme_commands_are_in_the_readme_quick_start_and_ci(self):
        readme = (REPO_ROOT / "README.rst").read_text()
        quick_start = (REPO_ROOT / "doc" / "quickstart.rst").read_text()
        for command in README_COMMANDS:
            self.assertIn(f"$ {command}", readme)
            self.assertIn(f"$ {command}", quick_start)
        ci = (REPO_ROOT / ".ci" / "run").read_text().splitlines()
        self.assertIn("tox -e py3,pep8", ci)
        self.assertIn("tox -e docs", ci)
        self.assertLess(ci.index("tox -e py3,pep8"), ci.index("tox -e docs"))
        self.assertIn("demo", build_parser().format_help())

    def test_no_python_hides_in_a_plain_literal_block(self):
        from fixturestmp.tests.support.docblocks import uncovered_code

        for page in doc_pages():
            self.assertEqual([], uncovered_code(page), f"{page}: use code-block")


class TestReferences(SourceTestCase):
    def test_cli_reference_shows_every_command(self):
        text = (REPO_ROOT / "doc" / "cli.rst").read_text()
        parser = build_parser()
        for action in parser._subparsers._group_actions:
            for name in action.choices:
                self.assertIn(f".. fixturestmp-help:: {name}\n", text)

    def test_every_public_name_has_a_docstring(self):
        # autodoc leaves out what has no docstring, silently.
        for module in (fixturestmp, fixturestmp.leaks):
            for name in module.__all__:
                value = getattr(module, name)
                if callable(value):
                    self.assertTrue(value.__doc__, f"{module.__name__}.{name}")
        # api.rst describes these two by hand.
        leaks = fixturestmp.leaks
        self.assertEqual({"memory"}, set(leaks.CHECKS) - set(leaks.CHEAP_CHECKS))
        api = (REPO_ROOT / "doc" / "api.rst").read_text()
        self.assertIn(".. automodule:: fixturestmp\n", api)
        self.assertIn(".. automodule:: fixturestmp.leaks\n", api)


class TestReadme(SourceTestCase):
    def test_renders_without_warnings(self):
        # As 'python -m docutils --halt=warning README.rst', and as PyPI does.
        from docutils.core import publish_string
        from docutils.utils import SystemMessage

        try:
            import pygments  # noqa: F401

            highlight = "long"
        except ImportError:
            highlight = "none"
        warnings = io.StringIO()
        try:
            publish_string(
                (REPO_ROOT / "README.rst").read_text(),
                writer="html5",
                settings_overrides={
                    "halt_level": 2,
                    "report_level": 2,
                    "warning_stream": warnings,
                    "syntax_highlight": highlight,
                },
            )
        except SystemMessage as error:
            self.fail(f"README.rst: {error}\n{warnings.getvalue()}")
        self.assertEqual("", warnings.getvalue())
