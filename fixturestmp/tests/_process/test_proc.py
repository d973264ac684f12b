"""Tests for fixturestmp._process.proc: the checks where ``/proc`` cannot answer.

On macOS and the BSDs there is no ``/proc``: the ``processes`` check, the
owner records' liveness and the rest go through psutil instead. Here that
is made real with a mount namespace: ``/proc`` is hidden under an empty
tmpfs, so every read fixturestmp makes there fails as it would on macOS,
while psutil (which on Linux reads procfs itself) is pointed at procfs
mounted elsewhere, as it would read the kernel's tables on macOS.

``/dev/fd`` is a link into ``/proc/self/fd`` on Linux, while macOS has a
``/dev/fd`` of its own: so that it keeps working, the tmpfs holds that one
link (into the procfs mounted elsewhere) and nothing else. fixturestmp
decides whether ``/proc`` answers from ``/proc/self/stat``, which is gone,
so the ``fds`` check lists ``/dev/fd`` as on macOS.
"""

import json
import os
import resource
import shutil
import socket
import subprocess
import sys

import fixtures
import testtools

from fixturestmp._process import proc
from fixturestmp.tests.support import IsolatedTestCase, python_env

WITHOUT_PROC = r"""
import json, os, pathlib, subprocess, sys, tempfile, threading, time

import psutil
psutil.PROCFS_PATH = sys.argv[1]  # psutil's own reads, as on macOS

from fixturestmp import leaks

from fixturestmp._process import proc

from fixturestmp._store import owners

found = {"stat": os.path.exists("/proc/self/stat")}
found["fallback"] = [
    proc._USE_PROC, proc._HAS_STAT, proc.open_fd_count(), proc.FD_DIR
]

with leaks.ProcessLeakCheck(test_id="t") as check:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
found["processes"] = [leak.summary for leak in check.leaks]
found["child_listed"] = child.pid in proc.child_pids()
found["child_dying"] = proc.dying(child.pid)
child.kill()
child.wait()
found["reaped_dying"] = proc.dying(child.pid)

dead = subprocess.Popen([sys.executable, "-c", "pass"])
dead_token = owners.owner_token(dead.pid)
dead.wait()
found["owners"] = [
    owners.token_is_live(owners.owner_token()),
    owners.token_is_live(dead_token),
]
# The records of a session: this process's, a dead one's, and one of this
# pid with another start time (a recycled pid).
session = pathlib.Path(tempfile.mkdtemp())
owners.add_owner(session)
pid, _, start = owners.owner_token().partition("-")
for token in (dead_token, f"{pid}-{float(start) + 1:.2f}"):
    (session / owners.OWNERS_DIR / token).touch()
found["live_owners"] = [
    owners.live_owners(session) == [owners.owner_token()],
    len(os.listdir(session / owners.OWNERS_DIR)),
]
owners.remove_owner(session, owners.owner_token())
for token in os.listdir(session / owners.OWNERS_DIR):
    os.unlink(session / owners.OWNERS_DIR / token)
os.rmdir(session / owners.OWNERS_DIR)
os.rmdir(session)

with leaks.FdLeakCheck(test_id="t") as check:
    kept = open(os.path.join(tempfile.gettempdir(), "kept-open"), "w")
found["fds"] = [leak.detail for leak in check.leaks]
kept.close()
os.unlink(kept.name)

with leaks.MemoryLeakCheck(memory_leak_limit="10MiB", test_id="t") as check:
    kept = bytearray(64 * 1024 * 1024)
    kept[::4096] = b"x" * len(kept[::4096])
found["memory"] = [leak.check for leak in check.leaks]

stop = threading.Event()
with leaks.ThreadLeakCheck(test_id="t") as check:
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
found["threads"] = [leak.check for leak in check.leaks]
stop.set()
thread.join()

with leaks.EnvironLeakCheck(test_id="t") as check:
    os.environ["FIXTURESTMP_TEST_LEAKED_VARIABLE"] = "1"
found["environ"] = [leak.check for leak in check.leaks]

with leaks.FileLeakCheck(test_id="t") as check:
    handle, name = tempfile.mkstemp(prefix="left-")
    os.close(handle)
found["files"] = [leak.check for leak in check.leaks]
os.unlink(name)

# multiprocessing's helpers, started once for the life of the process:
# this process's ends of their pipes are the runtime's, not a leak.
import multiprocessing.forkserver, multiprocessing.resource_tracker
from fixturestmp._runtime import interpreter

with leaks.FdLeakCheck(test_id="t") as check:
    multiprocessing.resource_tracker.ensure_running()
    multiprocessing.forkserver.ensure_running()
found["helpers"] = [
    len(interpreter.multiprocessing_helper_fds()),
    [leak.detail for leak in check.leaks],
]
print(json.dumps(found))
"""


def _namespace_available() -> str | None:
    """Return why a mount namespace cannot be made here, or None."""
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    if os.geteuid() != 0:
        return "making a mount namespace needs root"
    probe = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "true"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return f"unshare --mount is refused here: {probe.stderr.strip()}"
    return None


class TestWithoutProc(IsolatedTestCase):
    def setUp(self):
        super().setUp()
        why = _namespace_available()
        if why is not None:
            self.skipTest(f"needs a mount namespace to hide /proc: {why}")

    def run_without_proc(self) -> dict:
        real = self.workdir / "realproc"
        real.mkdir()
        script = self.workdir / "without_proc.py"
        script.write_text(WITHOUT_PROC)
        shell = (
            'mount -t proc proc "$1" && mount -t tmpfs none /proc'
            ' && mkdir /proc/self && ln -s "$1/self/fd" /proc/self/fd'
            ' && shift && exec "$@"'
        )
        env = python_env({"TMPDIR": str(self.root)})
        run = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "--",
             "sh", "-c", shell, "sh", str(real), sys.executable, str(script),
             str(real)],
            capture_output=True, text=True, env=env, cwd=self.workdir,
            timeout=120,
        )  # fmt: skip
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        return json.loads(run.stdout.splitlines()[-1])

    def test_every_check_through_its_fallback(self):
        found = self.run_without_proc()
        # fixturestmp's own /proc readers saw nothing: the fallbacks ran.
        self.assertEqual(False, found["stat"])
        self.assertEqual([False, False, None, "/dev/fd"], found["fallback"])
        self.assertEqual(1, len(found["processes"]), found)
        self.assertIn("LEAKED process", found["processes"][0])
        self.assertEqual([True, False], [found["child_listed"], found["child_dying"]])
        self.assertTrue(found["reaped_dying"])
        self.assertEqual([True, False], found["owners"])
        self.assertEqual([True, 3], found["live_owners"])
        [fds] = found["fds"]
        self.assertIn(f"({self.root}/kept-open)", fds)
        self.assertEqual([2, []], found["helpers"])
        for check in ("memory", "threads", "environ", "files"):
            self.assertEqual([check], found[check], check)


class TestFdTarget(testtools.TestCase):
    """What a descriptor is open on, where its ``/dev/fd`` entry is no link
    (macOS): a pipe or socket is named from its type and inode exactly as
    Linux's ``/proc/self/fd`` links name it, so that the ``fds`` check's
    report and its matching of multiprocessing's pipes read the same."""

    def setUp(self):
        super().setUp()
        if not proc._HAS_STAT:
            self.skipTest("compares with the links in /proc/self/fd (Linux)")

    def test_pipes_and_sockets_are_named_as_linux_names_them(self):
        reader, writer = os.pipe()
        self.addCleanup(os.close, reader)
        self.addCleanup(os.close, writer)
        left, right = socket.socketpair()
        self.addCleanup(left.close)
        self.addCleanup(right.close)
        for fd in (reader, writer, left.fileno()):
            self.assertEqual(os.readlink(f"/proc/self/fd/{fd}"), proc._described(fd))
            self.assertEqual(os.readlink(f"/proc/self/fd/{fd}"), proc.fd_target(fd))

    def test_a_file_is_named_by_its_path_where_the_system_says_it(self):
        path = os.path.realpath(self.useFixture(fixtures.TempDir()).join("f"))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        self.addCleanup(os.close, fd)
        self.assertEqual(path, proc.fd_target(fd))
        # Where neither F_GETPATH nor a link says it: its device and inode.
        info = os.fstat(fd)
        self.assertEqual(f"file:[{info.st_dev}:{info.st_ino}]", proc._described(fd))

    def test_a_closed_descriptor_is_none(self):
        # The highest number allowed: opened and closed here, and never the
        # lowest free one that another thread's open() would get meanwhile.
        reader, writer = os.pipe()
        high = os.dup2(writer, resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 1)
        for fd in (reader, writer, high):
            os.close(fd)
        self.assertIsNone(proc.fd_target(high))
        self.assertIsNone(proc._described(high))
