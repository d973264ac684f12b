"""What the tests share: the one home of each way they run things for real.

Running Python or the ``fixturestmp`` command in a subprocess with the
project importable (always this interpreter, ``sys.executable``, or one
made from it), interpreters with the start-up hook installed, isolated
roots, a small tmpfs, immutable files. The modules beside this one hold
what a group of tests shares: :mod:`.leaks` (leak-check cases),
:mod:`.stestr_runs` (one real ``fixturestmp run -- stestr run`` per class),
:mod:`.forked`, :mod:`.faults`, :mod:`.reliability`, :mod:`.matrix`,
:mod:`.docblocks`, :mod:`.htmlpage`. No test module imports another.
"""

import errno
import os
import site
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import fixtures
import testtools

import fixturestmp
from fixturestmp._hooks.startup import PTH_LINE
from fixturestmp._store.basedir import base_name

__all__ = [
    "IN_SOURCE_TREE",
    "REPO_ROOT",
    "HookedPython",
    "IsolatedTestCase",
    "cli_command",
    "fill",
    "make_immutable",
    "mount_tmpfs",
    "need_source_tree",
    "python_env",
    "run_cli",
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


def python_env(env: dict[str, str] | None = None, *, clean: bool = False) -> dict:
    """Return this process's environment with the project importable.

    :param env: Variables set on top.
    :param clean: Drop this process's ``FIXTURESTMP_*`` settings first.
    """
    full_env = {
        name: value
        for name, value in os.environ.items()
        if not (clean and name.startswith("FIXTURESTMP_"))
    }
    full_env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT)] + [p for p in [full_env.get("PYTHONPATH")] if p]
    )
    full_env.update(env or {})
    return full_env


def run_python(
    args: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    *,
    python: str = sys.executable,
    clean: bool = False,
    text: bool = True,
    **kwargs,
) -> subprocess.CompletedProcess:
    """Run ``python ARGS`` with the project importable; capture the output.

    :param python: The interpreter: this one, or one made from it
        (:class:`HookedPython`).
    :param clean: Drop this process's ``FIXTURESTMP_*`` settings.
    """
    return subprocess.run(
        [python, *args],
        cwd=cwd,
        env=python_env(env, clean=clean),
        capture_output=True,
        text=text,
        timeout=timeout,
        **kwargs,
    )


def cli_command(*args: str) -> list[str]:
    """Return the arguments of ``python`` that run ``fixturestmp ARGS``."""
    return ["-m", "fixturestmp.cli", *args]


def run_cli(
    *args: str,
    cwd: Path,
    root: Path | None = None,
    env: dict[str, str] | None = None,
    **kwargs,
) -> subprocess.CompletedProcess:
    """Run ``fixturestmp ARGS`` (as ``python -m fixturestmp.cli``).

    :param root: The temporary root (``FIXTURESTMP_ROOT``), if given.
    :param kwargs: As :func:`run_python`.
    """
    full = {"FIXTURESTMP_ROOT": str(root)} if root is not None else {}
    full.update(env or {})
    return run_python(cli_command(*args), cwd, full, **kwargs)


def _site_packages() -> list[str]:
    """Where this interpreter's packages are (fixtures, testtools, stestr)."""
    found = [*site.getsitepackages(), sysconfig.get_paths()["purelib"]]
    return [path for path in dict.fromkeys(found) if os.path.isdir(path)]


class HookedPython:
    """A real interpreter whose site-packages hold ``fixturestmp-adopt.pth``.

    A new virtual environment, so the hook runs at start-up as it does where
    the package is installed, whatever way this checkout was installed.
    """

    def __init__(self, directory: Path) -> None:
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(directory)],
            check=True,
        )
        self.python = str(directory / "bin" / "python")
        purelib = subprocess.run(
            [
                self.python,
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        Path(purelib, "fixturestmp-adopt.pth").write_text(PTH_LINE)
        # The packages of this interpreter, as plain paths read after the
        # hook (their own .pth files are not run: fixturestmp comes from
        # this checkout).
        Path(purelib, "zz-outer-packages.pth").write_text(
            "\n".join(_site_packages()) + "\n"
        )


def mount_tmpfs(case: testtools.TestCase, where: Path, **options) -> Path:
    """Mount a tmpfs with ``options`` on ``where`` (made here); return it.

    Unmounted at ``case``'s cleanup; ``case`` is skipped where no tmpfs can
    be mounted (no root, no ``mount``).
    """
    where.mkdir()
    opts = ",".join(f"{key}={value}" for key, value in options.items())
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode:
        case.skipTest(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    case.addCleanup(subprocess.check_call, ["umount", "-l", str(where)])
    return where


def make_immutable(
    case: testtools.TestCase, path: Path, thaw: Path | None = None
) -> None:
    """Make ``path`` undeletable (``chattr +i``), or skip ``case``.

    ext4 can; a filesystem that cannot (tmpfs, overlay) cannot hold an
    undeletable file. ``thaw``: a directory made mutable again, all of it,
    at ``case``'s cleanup, so that nothing stays frozen whatever happens.
    """
    if subprocess.call(["chattr", "+i", str(path)], stderr=subprocess.DEVNULL):
        case.skipTest(f"chattr +i is not supported on {path.parent}")
    if thaw is not None:
        case.addCleanup(
            subprocess.call,
            ["chattr", "-R", "-i", str(thaw)],
            stderr=subprocess.DEVNULL,
        )


def fill(path) -> None:
    """Append to ``path`` until its filesystem is full."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        while os.write(fd, b"\0" * 65536):
            pass
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise
    finally:
        os.close(fd)


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
