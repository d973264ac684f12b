"""Tests for fixturestmp._cli.demo: the README's first command, after a real install."""

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from testtools.matchers import Contains, DirExists

from fixturestmp.tests.support import REPO_ROOT, IsolatedTestCase, need_source_tree

# What pip needs to build the package: setup.cfg names LICENSE (setuptools
# will soon refuse a missing license file), setup.py copies the hook file.
PROJECT_FILES = (
    "setup.cfg",
    "setup.py",
    "pyproject.toml",
    "README.rst",
    "LICENSE",
    "MANIFEST.in",
    "fixturestmp-adopt.pth",
)


class TestDemo(IsolatedTestCase):
    def test_demo_after_a_fresh_install_from_an_empty_directory(self):
        # Install a copy of the project into a new virtualenv (dependencies
        # come from this interpreter, so no download is needed) and run the
        # installed command, not the source tree: package data must ship.
        # (Where the package is installed, CI runs the demo from the wheel.)
        need_source_tree(self)
        source = self.workdir / "source"
        shutil.copytree(
            REPO_ROOT / "fixturestmp",
            source / "fixturestmp",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        for name in PROJECT_FILES:
            shutil.copy(REPO_ROOT / name, source / name)
        venv = self.workdir / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        # This interpreter's packages are the dependencies, wherever they are
        # (a tox env, a venv made by venv or virtualenv, the system).
        (venv_site,) = (venv / "lib").glob("python*/site-packages")
        paths = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
        (venv_site / "dependencies.pth").write_text("\n".join(sorted(paths)) + "\n")
        install = subprocess.run(
            [venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-deps",
             str(source)],
            capture_output=True, text=True,
        )  # fmt: skip
        self.assertEqual(0, install.returncode, install.stderr)
        empty = self.workdir / "empty"
        empty.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
        env.update(TMPDIR=str(self.root), PATH=f"{venv / 'bin'}:{env['PATH']}")
        demo = subprocess.run(
            ["fixturestmp", "demo"], cwd=empty, env=env, capture_output=True,
            text=True, timeout=300,
        )  # fmt: skip
        self.assertEqual(0, demo.returncode, demo.stdout + demo.stderr)
        kept = re.search(r"directory was kept: (\S+)", demo.stdout)
        self.assertIsNotNone(kept, demo.stdout)
        self.assertThat(kept.group(1), DirExists())
        self.assertTrue((Path(kept.group(1)) / "invoice.json").is_file())
        self.assertThat(demo.stdout, Contains("leak found and cleaned: file"))
        self.assertEqual([], os.listdir(empty))
        leftovers = [
            n for n in os.listdir(self.root) if not n.startswith("fixturestmp-of")
        ]
        self.assertEqual([], leftovers)
