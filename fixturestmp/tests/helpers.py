"""Shared test helpers: isolated roots and real subprocess runs."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import fixtures
import testtools

import fixturestmp
from fixturestmp._store.basedir import base_name

__all__ = [
    "IN_SOURCE_TREE",
    "REPO_ROOT",
    "IsolatedTestCase",
    "need_source_tree",
    "run_python",
    "write_files",
]

REPO_ROOT = Path(fixturestmp.__file__).resolve().parent.parent
#: Whether the package runs from the project's source tree (a checkout or an
#: unpacked sdist), not installed (from the wheel, into site-packages).
IN_SOURCE_TREE = (REPO_ROOT / "setup.cfg").is_file() and (REPO_ROOT / "doc").is_dir()


def need_source_tree(case: testtools.TestCase) -> None:
    """Skip ``case`` unless the package runs from its source tree.

    The tests of the docs and of the project's files read README.rst, doc/
    and setup.cfg, which the wheel does not hold.
    """
    if not IN_SOURCE_TREE:
        case.skipTest(
            f"reads the project's source tree (README.rst, doc/, setup.cfg), "
            f"and the package runs installed in {REPO_ROOT}: run it from a "
            f"checkout or the unpacked sdist"
        )


def write_files(directory: Path, files: dict[str, str]) -> None:
    """Write ``{relative name: dedented text}`` below ``directory``."""
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def run_python(
    args: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    **kwargs,
) -> subprocess.CompletedProcess:
    """Run ``python ARGS`` with the project importable; capture text output."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT)] + [p for p in [full_env.get("PYTHONPATH")] if p]
    )
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )


class IsolatedTestCase(testtools.TestCase):
    """A test with a private temp root and no inherited fixturestmp settings.

    :ivar root: A private directory to use as the temporary root.
    :ivar base: Where fixturestmp's base directory will be inside it.
    :ivar workdir: An empty directory to run things in (no project files).
    """

    def setUp(self) -> None:
        super().setUp()
        for name in list(os.environ):
            if name.startswith("FIXTURESTMP_"):
                self.useFixture(fixtures.EnvironmentVariable(name))
        self.root = Path(self.useFixture(fixtures.TempDir()).path)
        self.base = self.root / base_name()
        self.workdir = Path(self.useFixture(fixtures.TempDir()).path)
        # Project files in the current directory must not change the defaults.
        self.useFixture(fixtures.MonkeyPatch("os.curdir", str(self.workdir)))

    def sessions(self) -> list[str]:
        """Return the names of the session directories under the base."""
        if not self.base.exists():
            return []
        return sorted(
            p.name
            for p in self.base.iterdir()
            if p.name.startswith("run-") and not p.is_symlink()
        )

    def session(self, **kwargs) -> fixturestmp.SessionTempFixture:
        """Return a session in the private root (not yet set up)."""
        kwargs.setdefault("root", self.root)
        return fixturestmp.SessionTempFixture(**kwargs)
