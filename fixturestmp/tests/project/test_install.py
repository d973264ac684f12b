"""``--adopt`` where users install fixturestmp: an editable install and a
tox environment, each a real virtual environment installed by pip."""

import importlib.util
import os
import shutil
import subprocess
import sys

from testtools.matchers import Contains

from fixturestmp.tests.support import (
    REPO_ROOT,
    IsolatedTestCase,
    need_source_tree,
    write_files,
)

SUITE = {
    "test_adopted.py": """
        import os

        import fixtures
        import testtools


        class T(testtools.TestCase):
            def test_fails(self):
                path = self.useFixture(fixtures.TempDir()).path
                with open(os.path.join(path, "evidence.txt"), "w") as stream:
                    stream.write("the last words")
                self.fail("planted")

            def test_passes(self):
                path = self.useFixture(fixtures.TempDir()).path
                with open(os.path.join(path, "made.txt"), "w") as stream:
                    stream.write("by a passing test")
    """,
}

NOT_LOADED = "no process of the command loaded"


def clean_environment(**extra: str) -> dict[str, str]:
    """This environment without what points Python at this checkout or at
    fixturestmp's settings: the new environments stand on their own."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("FIXTURESTMP_")
        and key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    }
    env.update(extra)
    return env


class AdoptedRunTestCase(IsolatedTestCase):
    def assertOnlyTheFailedTestKept(self, run: subprocess.CompletedProcess) -> None:
        """The suite's failed test, and it alone, kept what it wrote in the
        run's session, and the summary names it."""
        session = self.base / "run-0"
        kept = session / "test_fails0"
        self.assertThat(
            run.stderr, Contains(f"FAILED test_adopted.T.test_fails  {kept}\n")
        )
        self.assertEqual("the last words", (kept / "evidence.txt").read_text())
        self.assertEqual(
            ["test_fails0"],
            sorted(p.name for p in session.iterdir() if not p.name.startswith(".")),
        )


class TestEditableInstall(AdoptedRunTestCase):
    """``pip install -e`` installs the start-up hook too: ``--adopt`` keeps a
    failed test's ``fixtures.TempDir`` with fixturestmp imported from this
    checkout."""

    def setUp(self):
        super().setUp()
        need_source_tree(self)
        self.venv = self.workdir / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True)
        self.bin = self.venv / "bin"
        install = subprocess.run(
            [str(self.bin / "python"), "-m", "pip", "install", "-q", "-e",
             str(REPO_ROOT)],
            env=clean_environment(), capture_output=True, text=True,
        )  # fmt: skip
        if install.returncode:
            self.fail(f"pip install -e failed:\n{install.stdout}\n{install.stderr}")
        write_files(self.workdir, SUITE)

    def test_adopt_keeps_the_failed_test_s_directory(self):
        where = subprocess.run(
            [str(self.bin / "python"), "-c",
             "import fixturestmp; print(fixturestmp.__file__)"],
            cwd=self.root, env=clean_environment(), capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        self.assertEqual(str(REPO_ROOT / "fixturestmp" / "__init__.py"), where)
        run = subprocess.run(
            [str(self.bin / "fixturestmp"), "run", "--adopt", "--",
             str(self.bin / "python"), "-m", "testtools.run", "test_adopted"],
            cwd=self.workdir, env=clean_environment(FIXTURESTMP_ROOT=str(self.root)),
            capture_output=True, text=True,
        )  # fmt: skip
        self.assertEqual(1, run.returncode, run.stdout + run.stderr)
        self.assertNotIn(NOT_LOADED, run.stderr)
        self.assertOnlyTheFailedTestKept(run)


class TestToxRecipe(AdoptedRunTestCase):
    """doc/guides/adopting.rst's recipe: ``fixturestmp run --adopt -- tox -e
    py3``, fixturestmp in the tox environment's ``deps``: its test process
    joins the wrapper's session."""

    TOX_INI = """
        [tox]
        env_list = py3

        [testenv]
        skip_install = true
        deps =
            fixturestmp
        # The session and --adopt, from the wrapper outside tox.
        pass_env =
            FIXTURESTMP_*
        commands =
            python -m testtools.run test_adopted
    """

    def setUp(self):
        super().setUp()
        need_source_tree(self)
        if importlib.util.find_spec("tox") is not None:
            self.tox = [sys.executable, "-m", "tox"]
        elif shutil.which("tox"):
            self.tox = [shutil.which("tox")]
        else:
            self.skipTest("tox is not installed (pip install -e '.[test]')")
        # fixturestmp is not on the package index: pip finds this
        # checkout's wheel beside wherever else it looks.
        self.wheels = self.workdir / "wheels"
        built = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
             str(self.wheels), str(REPO_ROOT)],
            env=clean_environment(), capture_output=True, text=True,
        )  # fmt: skip
        if built.returncode:
            self.fail(f"pip wheel failed:\n{built.stdout}\n{built.stderr}")
        self.project = self.workdir / "project"
        write_files(self.project, {**SUITE, "tox.ini": self.TOX_INI})

    def test_the_failed_test_s_directory_is_kept_in_the_wrapper_s_session(self):
        links = " ".join(
            filter(None, [str(self.wheels), os.environ.get("PIP_FIND_LINKS")])
        )
        run = subprocess.run(
            [sys.executable, "-m", "fixturestmp.cli", "run", "--adopt", "--",
             *self.tox, "-e", "py3", "--workdir", str(self.workdir / "tox")],
            cwd=self.project,
            env=clean_environment(
                FIXTURESTMP_ROOT=str(self.root), PIP_FIND_LINKS=links,
                PYTHONPATH=str(REPO_ROOT),
            ),
            capture_output=True, text=True,
        )  # fmt: skip
        output = run.stdout + run.stderr
        self.assertNotEqual(0, run.returncode, output)
        self.assertNotIn(NOT_LOADED, output)
        self.assertOnlyTheFailedTestKept(run)
