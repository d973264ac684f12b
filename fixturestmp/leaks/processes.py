"""The ``processes`` check: child processes still running after the test."""

import contextlib
import os
import signal
import time
from typing import Any

import psutil

from fixturestmp import proc
from fixturestmp.leaks.base import Check
from fixturestmp.leaks.findings import Leak, several

__all__ = ["ProcessLeakCheck"]

# multiprocessing starts these once and keeps them for the whole process.
_HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")
# Helpers seen so far, so that their command lines are read only once.
_helper_keys: set[tuple[int, float]] = set()

Key = tuple[int, float]


class ProcessLeakCheck(Check):
    """Reports child processes started by the test and still running.

    Children are told apart by pid *and* start time, so children that were
    running before the test are never reported, even if a pid is reused.
    Zombies (exited, not yet reaped) are not running and not reported, nor
    are multiprocessing's resource tracker and forkserver. A grandchild
    whose parent exited is adopted by another process and is not seen.

    :ivar kill: Terminate the leaked processes and their descendants.
    """

    name = "processes"
    options = frozenset({"kill"})
    #: Seconds a leaked process gets to exit after SIGTERM, before SIGKILL.
    term_grace = 1.0
    #: Seconds to wait for the processes to go after SIGKILL.
    kill_wait = 5.0

    def __init__(self, kill: bool = False, **kwargs: Any) -> None:
        """Check the options; nothing is measured until setUp.

        Other keyword arguments are those of :class:`~fixturestmp.leaks.Check`.

        :param kill: Terminate leaked process trees: SIGTERM, then SIGKILL.
        """
        super().__init__(**kwargs)
        self.kill = kill

    def start(self) -> None:
        self._before = _children()

    def stop(self, test_id: str) -> list[Leak]:
        leaked = [
            info
            for key, info in _children().items()
            if info.running and key not in self._before and not _is_helper(info)
        ]
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
            body.append(
                "still running; ProcessLeakCheck(kill=True) or LeakCheck(kill=True) "
                "terminates leaked processes"
            )
        return [
            Leak(
                check=self.name,
                test_id=test_id,
                size=len(leaked),
                what=several("process", "processes", items),
                detail="\n".join(body),
            )
        ]


def _children() -> dict[Key, proc.ProcInfo]:
    found = {}
    for pid in proc.child_pids():
        info = proc.info(pid)
        if info is not None:
            found[info.key] = info
    return found


def _is_helper(info: proc.ProcInfo) -> bool:
    if info.key in _helper_keys:
        return True
    command = proc.cmdline(info.pid, limit=1000)
    if any(helper in command for helper in _HELPERS):
        _helper_keys.add(info.key)
        return True
    return False


def _brief(command: str, limit: int = 40) -> str:
    # The program's name, not its whole path, then as much as fits.
    program, _, arguments = command.partition(" ")
    text = " ".join(filter(None, [os.path.basename(program), arguments]))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _terminate(pids: list[int], grace: float, wait: float) -> dict[int, str]:
    """Send SIGTERM to ``pids``, then SIGKILL to survivors; say what happened."""
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


def _signal(processes: list[psutil.Process], signum: int) -> None:
    for process in processes:
        # psutil checks that the pid still names the same process.
        with contextlib.suppress(psutil.NoSuchProcess):
            process.send_signal(signum)


def _wait(processes: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait until ``processes`` are gone; return those still alive."""
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


def _zombie(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
