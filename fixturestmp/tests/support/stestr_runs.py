"""A real ``fixturestmp run -- stestr run`` shared by the tests of a class.

One run takes seconds, so the collect and report tests run it once per
class (``setUpClass``) in a private root and only read what it left.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from fixturestmp._store.basedir import base_name
from fixturestmp.tests.support import run_cli, write_files

__all__ = ["StestrRun"]


class StestrRun:
    """A suite run once under ``fixturestmp run -- stestr run``.

    :ivar root: The private temporary root (removed by :meth:`remove`).
    :ivar workdir: Where the suite is and the run ran.
    :ivar session: The session directory of the run.
    :ivar result: The completed ``fixturestmp run`` process.
    """

    def __init__(
        self, files: dict[str, str], env: dict[str, str] | None = None,
        concurrency: int = 2,
    ) -> None:  # fmt: skip
        self.top = Path(tempfile.mkdtemp(prefix="fixturestmp-test-"))
        self.root = self.top / "root"
        self.workdir = self.top / "work"
        try:
            self.root.mkdir()
            self.workdir.mkdir()
            write_files(
                self.workdir,
                {".stestr.conf": "[DEFAULT]\ntest_path=./suite\ntop_dir=./\n",
                 "suite/__init__.py": "", **files},
            )  # fmt: skip
            self.result = run_cli(
                "run", "--", sys.executable, "-m", "stestr", "run",
                "--concurrency", str(concurrency),
                root=self.root, cwd=self.workdir, env=env, clean=True,
            )  # fmt: skip
        except BaseException:
            # setUpClass failed: tearDownClass will not run to remove it.
            self.remove()
            raise
        self.base = self.root / base_name()
        self.session = self.base / "run-0"

    def cli(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        """Run ``fixturestmp ARGS`` on this run's root, in its work directory."""
        return run_cli(*args, root=self.root, cwd=self.workdir, **kwargs)

    def remove(self) -> None:
        """Remove everything the run made (root can read unreadable files)."""
        subprocess.run(["chmod", "-R", "u+rwX", str(self.top)], check=False)
        shutil.rmtree(self.top, ignore_errors=True)
