"""Helpers for the leak check tests: isolation and real child processes."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import fixtures
import psutil
import testtools

from fixturestmp._store.manifest import read_manifest
from fixturestmp.tests.support import IsolatedTestCase

__all__ = [
    "ENV_NAME",
    "LeakTestCase",
    "StartsThenFails",
    "details_text",
    "gone",
    "run_case",
]

#: The environment variable the tests of the environment check leak.
ENV_NAME = "FIXTURESTMP_TEST_LEAKED_VARIABLE"

# A child that says it is ready and lives until its stdin closes, so that it
# cannot outlive the test process even if a test goes wrong.
_READY = "print(READY, flush=True); sys.stdin.read()"
_IGNORE_TERM = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
_GRANDCHILD = (
    "import subprocess; "
    "g = subprocess.Popen([sys.executable, '-c', 'import sys; sys.stdin.read()']); "
    "READY = g.pid; "
)


class StartsThenFails(fixtures.Fixture):
    """A fixture whose ``_setUp`` starts a child process and then fails."""

    def __init__(self, start):
        super().__init__()
        self._start = start
        self.started: list[Any] = []

    def _setUp(self):
        self.started.append(self._start())
        raise RuntimeError("setUp failed half-way")


def run_case(case: testtools.TestCase) -> testtools.TestResult:
    """Run ``case`` with a fresh result and return the result."""
    result = testtools.TestResult()
    case.run(result)
    return result


def details_text(case: testtools.TestCase, prefix: str = "leak-") -> dict[str, str]:
    """Return ``case``'s details whose names start with ``prefix``, as text."""
    return {
        name: content.as_text()
        for name, content in case.getDetails().items()
        if name.startswith(prefix)
    }


def gone(process: psutil.Process) -> bool:
    """Return whether ``process`` no longer runs (exited, reaped or zombie)."""
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


class LeakTestCase(IsolatedTestCase):
    """An isolated test whose temp directory and session are private.

    :ivar tmpdir: This test's :func:`tempfile.gettempdir`.
    :ivar sess: The session that leak records go to (also the default one).
    """

    def setUp(self) -> None:
        super().setUp()
        self.tmpdir = Path(self.useFixture(fixtures.TempDir()).path)
        self.useFixture(fixtures.MonkeyPatch("tempfile.tempdir", str(self.tmpdir)))
        self.sess = self.useFixture(self.session())
        self.useFixture(
            fixtures.MonkeyPatch("fixturestmp._fixtures.session._default", self.sess)
        )

    def leak_records(self) -> list[dict[str, Any]]:
        """Return the session manifest's ``kind: leak`` records."""
        return [r for r in read_manifest(self.sess.path) if r.get("kind") == "leak"]

    def child(
        self, *, ignore_term: bool = False, grandchild: bool = False
    ) -> tuple[subprocess.Popen, str]:
        """Start a child process; return it once it runs, and what it said.

        With ``grandchild`` it starts a child of its own and says its pid.
        The test kills whatever is left at its end.
        """
        code = "import sys; READY = 'ready'; "
        code += _IGNORE_TERM if ignore_term else ""
        code += _GRANDCHILD if grandchild else ""
        process = subprocess.Popen(
            [sys.executable, "-c", code + _READY],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.addCleanup(_end, process)
        line = process.stdout.readline().strip()  # type: ignore[union-attr]
        if grandchild:
            self.addCleanup(_kill, psutil.Process(int(line)))
        return process, line


def _end(process: subprocess.Popen) -> None:
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()
    process.kill()
    process.wait()


def _kill(process: psutil.Process) -> None:
    # psutil checks that the pid still names the same process.
    try:
        process.kill()
    except psutil.NoSuchProcess:
        pass
