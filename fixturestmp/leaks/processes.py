"""The ``processes`` check: child processes still running after the test."""

import contextlib
import os
import signal
import time
from typing import TYPE_CHECKING, Any

from fixturestmp._process import proc
from fixturestmp.leaks.findings import Leak, several
from fixturestmp.leaks.ignored import is_helper
from fixturestmp.leaks.probe import Probe

if TYPE_CHECKING:
    import psutil

__all__ = ["ProcessProbe"]

Key = tuple[int, float]


class ProcessProbe(Probe):
    """Reports child processes started by the test and still running.

    Children are told apart by pid *and* start time, so children that were
    running before the test are never reported, even if a pid is reused.
    Zombies (exited, not yet reaped) and children that are exiting or have
    SIGKILL pending (killed and not yet waited for) are not reported, nor
    are multiprocessing's resource tracker and forkserver; another new
    child gets :attr:`exit_grace` to exit first. A grandchild
    whose parent exited is adopted by another process and is not seen.

    :ivar kill: Terminate the leaked processes and their descendants.
    """

    name = "processes"
    options = frozenset({"kill"})
    #: Seconds a leaked process gets to exit after SIGTERM, before SIGKILL.
    term_grace = 1.0
    #: Seconds to wait for the processes to go after SIGKILL.
    kill_wait = 5.0
    #: Seconds a new child that is not known to be dying gets to exit
    #: before it counts (paid only when a child is still there).
    exit_grace = 0.1

    def __init__(self, kill: bool = False, **kwargs: Any) -> None:
        """Check the options; nothing is measured until setUp.

        Other keyword arguments are those of
        :class:`~fixturestmp.leaks.probe.Probe`.

        :param kill: Terminate leaked process trees: SIGTERM, then SIGKILL.
        """
        super().__init__(**kwargs)
        self.kill = kill

    def start(self) -> None:
        self._before = _children()

    def stop(self, test_id: str) -> list[Leak]:
        new = [
            info
            for key, info in _children().items()
            if info.running and key not in self._before and not is_helper(info)
        ]
        if not new:
            return []
        leaked = self._still_running(new)
        if not leaked:
            return []
        items = []
        lines = []
        trees: list[int] = []
        for info in leaked:
            command = proc.cmdline(info.pid)
            items.append(f"{info.pid} ({_brief(command)})")
            tree = [(info.pid, 0), *proc.descendants(info.pid)]
            trees.extend(pid for pid, _ in tree)
            for pid, depth in tree:
                text = command if pid == info.pid else proc.cmdline(pid)
                lines.append((pid, f"{'  ' * depth}pid {pid}: {text}"))
        if self.kill:
            fates = _terminate(trees, self.term_grace, self.kill_wait)
            body = [f"{line}  [{fates[pid]}]" for pid, line in lines]
        else:
            body = [line for _, line in lines]
            body.append(self.advice())
        return [
            Leak(
                check=self.name,
                test_id=test_id,
                size=len(leaked),
                what=several("process", "processes", items),
                detail="\n".join(body),
            )
        ]

    def _still_running(self, new: list[proc.ProcInfo]) -> list[proc.ProcInfo]:
        """Return those of ``new`` that are not dying, after a short grace.

        A child that the test killed without waiting for it is exiting, not
        leaked; one whose exit merely takes a moment gets
        :attr:`exit_grace` seconds. Children are not reaped here: their
        exit status belongs to whoever started them.
        """
        deadline = time.monotonic() + self.exit_grace
        alive = [found for found in new if not proc.dying(found.pid)]
        while alive and time.monotonic() < deadline:
            time.sleep(0.005)
            alive = [found for found in alive if not proc.dying(found.pid)]
        return alive


def _children() -> dict[Key, proc.ProcInfo]:
    found = {}
    for pid in proc.child_pids():
        info = proc.info(pid)
        if info is not None:
            found[info.key] = info
    return found


def _brief(command: str, limit: int = 40) -> str:
    # The program's name, not its whole path, then as much as fits.
    program, _, arguments = command.partition(" ")
    text = " ".join(filter(None, [os.path.basename(program), arguments]))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _terminate(pids: list[int], grace: float, wait: float) -> dict[int, str]:
    """Send SIGTERM to ``pids``, then SIGKILL to survivors; say what happened."""
    import psutil  # Only to kill: the check itself reads /proc.

    fates = dict.fromkeys(pids, "exited by itself")
    processes = []
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            processes.append(psutil.Process(pid))
    _signal(processes, signal.SIGTERM)
    alive = _wait(processes, grace)
    for process in processes:
        if process not in alive:
            fates[process.pid] = "terminated by SIGTERM"
    _signal(alive, signal.SIGKILL)
    survivors = _wait(alive, wait)
    for process in alive:
        fates[process.pid] = (
            "still running after SIGKILL"
            if process in survivors
            else "killed by SIGKILL"
        )
    return fates


def _signal(processes: "list[psutil.Process]", signum: int) -> None:
    import psutil

    for process in processes:
        # psutil checks that the pid still names the same process.
        with contextlib.suppress(psutil.NoSuchProcess):
            process.send_signal(signum)


def _wait(processes: "list[psutil.Process]", timeout: float) -> "list[psutil.Process]":
    """Wait until ``processes`` are gone; return those still alive."""
    import psutil

    deadline = time.monotonic() + timeout
    alive = processes
    while alive:
        # wait_procs reaps our own children. A grandchild can stay a zombie
        # (when nothing reaps orphans, as in many containers); it is dead.
        _, alive = psutil.wait_procs(
            alive, timeout=max(0.0, min(0.05, deadline - time.monotonic()))
        )
        alive = [process for process in alive if not _zombie(process)]
        if time.monotonic() >= deadline:
            break
    return alive


def _zombie(process: "psutil.Process") -> bool:
    import psutil

    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
